package io.circuitscope.core.io.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.io.CheckpointException;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.io.ModelLoader;
import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.testing.FakeHub;
import io.circuitscope.core.testing.TinyCheckpoint;
import io.circuitscope.core.testing.TinyTokenizer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Hub ids against a local HTTP server that answers like the Hugging Face hub, and hand-made caches. */
@Timeout(120)
class HubResolverTest {
    static final String REPO = "tiny-org/tiny-gpt2";
    static final int[] PROMPT = {1, 15, 27, 3};

    @TempDir
    static Path sources;
    static Path single;
    static Path sharded;

    @TempDir
    Path cacheDir;
    FakeHub hub;

    @BeforeAll
    static void writeCheckpoints() throws Exception {
        single = Files.createDirectories(sources.resolve("single"));
        int vocab = TinyTokenizer.write(single);
        TinyCheckpoint checkpoint = TinyCheckpoint.gpt2(5, 2, 2, 8, vocab, 24, true);
        checkpoint.write(single, TensorDtype.F32);
        sharded = Files.createDirectories(sources.resolve("sharded"));
        checkpoint.writeSharded(sharded, TensorDtype.F16, 3);
    }

    @BeforeEach
    void startHub() throws Exception {
        hub = new FakeHub().serve(REPO, single).serve("tiny-org/sharded", sharded);
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    HubEnvironment env() {
        return new HubEnvironment(cacheDir, hub.endpoint(), null, false, null, Duration.ofSeconds(10));
    }

    static float[][] logits(LoadedModel m) {
        return m.model().logits(PROMPT);
    }

    @Test
    void downloadThenLoadGivesTheSourceLogitsAndTheSecondResolutionMakesNoRequest() throws Exception {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        ModelResolver resolver = new ModelResolver(env().withProgress(new PrintStream(progress, true,
                StandardCharsets.UTF_8)));
        float[][] expected;
        try (LoadedModel source = ModelLoader.load(single)) {
            expected = logits(source);
        }
        try (LoadedModel downloaded = ModelLoader.load(REPO, resolver)) {
            float[][] actual = logits(downloaded);
            for (int p = 0; p < expected.length; p++) {
                assertArrayEquals(expected[p], actual[p], "position " + p);
            }
            assertTrue(downloaded.optTokenizer().isPresent(), "tokenizer.json was downloaded");
        }
        // The hub cache layout: refs/main -> commit, snapshot entries are symlinks into blobs/.
        Path repo = cacheDir.resolve("models--tiny-org--tiny-gpt2");
        assertEquals(FakeHub.COMMIT, Files.readString(repo.resolve("refs/main")));
        Path weights = repo.resolve("snapshots").resolve(FakeHub.COMMIT).resolve("model.safetensors");
        assertTrue(Files.isSymbolicLink(weights));
        String sha = FakeHub.sha256(Files.readAllBytes(single.resolve("model.safetensors")));
        assertEquals(repo.resolve("blobs").resolve(sha), weights.toRealPath());
        try (Stream<Path> blobs = Files.list(repo.resolve("blobs"))) {
            assertTrue(blobs.noneMatch(p -> p.toString().endsWith(".incomplete")));
        }
        String bar = progress.toString(StandardCharsets.UTF_8);
        assertTrue(bar.contains("model.safetensors") && bar.contains("100.0%") && bar.contains("/s"), bar);

        int before = hub.requests().size();
        assertEquals(repo.resolve("snapshots").resolve(FakeHub.COMMIT), new ModelResolver(env()).resolve(REPO));
        try (LoadedModel again = ModelLoader.load(REPO, new ModelResolver(env()))) {
            assertArrayEquals(expected[PROMPT.length - 1], logits(again)[PROMPT.length - 1]);
        }
        assertEquals(before, hub.requests().size(), "a cached model is resolved with zero HTTP requests");
    }

    @Test
    void shardedCheckpointAndExplicitRevisionDownload() throws Exception {
        float[][] expected;
        try (LoadedModel source = ModelLoader.load(sharded)) {
            expected = logits(source);
        }
        try (LoadedModel downloaded = ModelLoader.load("tiny-org/sharded@" + FakeHub.COMMIT,
                new ModelResolver(env()))) {
            assertArrayEquals(expected[PROMPT.length - 1], logits(downloaded)[PROMPT.length - 1]);
        }
        Path snapshot = cacheDir.resolve("models--tiny-org--sharded/snapshots").resolve(FakeHub.COMMIT);
        assertTrue(Files.isRegularFile(snapshot.resolve("model-00003-of-00003.safetensors")));
        assertFalse(Files.exists(cacheDir.resolve("models--tiny-org--sharded/refs/main")),
                "a commit revision needs no ref");
        assertTrue(hub.requests().stream().anyMatch(r -> r.path().endsWith("/model.safetensors")),
                "model.safetensors is tried first");
    }

    @Test
    void interruptedDownloadResumesWithARangeRequest() throws Exception {
        long cut = 1000;
        hub.cutFirstBodyAfter(cut);
        List<Long> pauses = new java.util.ArrayList<>();
        Path dir = new ModelResolver(env(), new Backoff(1000, 8000, pauses::add)).resolve(REPO);
        assertEquals(List.of(1000L), pauses, "one pause before the resumed attempt (recorded, not waited)");
        byte[] original = Files.readAllBytes(single.resolve("model.safetensors"));
        Path weights = dir.resolve("model.safetensors");
        assertEquals(FakeHub.sha256(original), DownloadSha.of(weights));
        List<FakeHub.Request> cdn = hub.requests().stream().filter(r -> r.path().startsWith("/cdn/")).toList();
        assertEquals(2, cdn.size(), cdn.toString());
        assertEquals(null, cdn.get(0).range());
        assertEquals("bytes=" + cut + "-", cdn.get(1).range());
        try (LoadedModel a = ModelLoader.load(single); LoadedModel b = ModelLoader.load(dir)) {
            assertArrayEquals(logits(a)[0], logits(b)[0]);
        }
    }

    @Test
    void partialFileFromAnEarlierRunIsResumed() throws Exception {
        byte[] original = Files.readAllBytes(single.resolve("model.safetensors"));
        String sha = FakeHub.sha256(original);
        Path blobs = Files.createDirectories(cacheDir.resolve("models--tiny-org--tiny-gpt2/blobs"));
        Files.write(blobs.resolve(sha + ".incomplete"), java.util.Arrays.copyOf(original, 777));
        Path dir = new ModelResolver(env()).resolve(REPO);
        assertEquals(sha, DownloadSha.of(dir.resolve("model.safetensors")));
        List<FakeHub.Request> cdn = hub.requests().stream().filter(r -> r.path().startsWith("/cdn/")).toList();
        assertEquals(1, cdn.size());
        assertEquals("bytes=777-", cdn.get(0).range());
    }

    @Test
    void corruptedBodyIsRejectedNamingTheFile() throws Exception {
        hub.corruptBodies();
        CheckpointException e = assertThrows(CheckpointException.class, () -> new ModelResolver(env()).resolve(REPO));
        assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("sha256")
                && e.getMessage().contains(REPO), e.getMessage());
        Path repo = cacheDir.resolve("models--tiny-org--tiny-gpt2");
        assertFalse(Files.exists(repo.resolve("refs/main")), "no ref to a broken snapshot");
        assertFalse(Files.exists(repo.resolve("snapshots").resolve(FakeHub.COMMIT).resolve("model.safetensors")));
        try (Stream<Path> blobs = Files.list(repo.resolve("blobs"))) {
            assertTrue(blobs.noneMatch(p -> p.toString().endsWith(".incomplete")), "the corrupt data is deleted");
        }
    }

    @Test
    void offlineWithAnEmptyCacheSaysWhereToPutTheFiles() {
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> new ModelResolver(env().withOffline(true)).resolve(REPO));
        String m = e.getMessage();
        assertTrue(m.contains("'" + REPO + "'") && m.contains("HF_HUB_OFFLINE")
                && m.contains(cacheDir.resolve("models--tiny-org--tiny-gpt2").resolve("snapshots").toString())
                && m.contains(cacheDir.resolve("models--tiny-org--tiny-gpt2/refs/main").toString())
                && m.contains("or give a local model directory instead"), m);
        assertFalse(m.contains("--model"), "a library or batch user never typed the command line's option: " + m);
        assertEquals(0, hub.requests().size());
    }

    /**
     * A missing ORG/NAME.bin is a missing file, never a hub id: the error said "hub ids have the form ORG/NAME", which
     * the name has, so it read as if the form were wrong rather than the file missing.
     */
    @Test
    void aMissingFileNamedLikeAHubIdSaysTheNameIsAFileNotAnId() {
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> new ModelResolver(env()).resolve("gone/m.bin"));
        String m = e.getMessage();
        assertTrue(m.startsWith("gone/m.bin: no such model file"), m);
        assertTrue(m.contains("a name ending in .bin, .safetensors or .json is a file, never a hub id"), m);
        assertFalse(m.contains("hub ids have the form"), m);
        assertEquals(0, hub.requests().size());
    }

    @Test
    void unreachableEndpointGivesTheSameClearMessage() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        HubEnvironment unreachable = env().withEndpoint(URI.create("http://127.0.0.1:" + port));
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> new ModelResolver(unreachable).resolve(REPO));
        assertTrue(e.getMessage().contains("cannot connect") && e.getMessage().contains("not in the Hugging Face cache")
                && e.getMessage().contains(cacheDir.toString()), e.getMessage());
    }

    @Test
    void handMadeCacheLayoutLoadsWithoutAnyServer() throws Exception {
        String commit = "feedfacefeedfacefeedfacefeedfacefeedface";
        Path repo = cacheDir.resolve("models--someone--handmade");
        Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve(commit));
        Path blobs = Files.createDirectories(repo.resolve("blobs"));
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            Path blob = blobs.resolve("blob-" + f.hashCode());
            Files.copy(single.resolve(f), blob);
            Files.createSymbolicLink(snapshot.resolve(f), snapshot.relativize(blob));
        }
        Files.copy(single.resolve("tokenizer.json"), snapshot.resolve("tokenizer.json"));
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), commit + "\n");
        // Online, but nothing answers: the snapshot lacks tokenizer_config.json, and loads without it.
        HubEnvironment noServer = env().withEndpoint(URI.create("http://127.0.0.1:9")).withOffline(false);
        try (LoadedModel cached = ModelLoader.load("someone/handmade", new ModelResolver(noServer));
                LoadedModel source = ModelLoader.load(single)) {
            assertEquals(snapshot, cached.source());
            assertArrayEquals(logits(source)[3], logits(cached)[3]);
        }
        assertEquals(0, hub.requests().size());
    }

    /** Found by fuzzing: a NUL in refs/main failed with Java's bare InvalidPathException, bytes not UTF-8 as "Input length = 1". */
    @Test
    void aDamagedRefIsNamedWithWhatIsWrong() throws Exception {
        Path ref = Files.createDirectories(cacheDir.resolve("models--someone--damaged/refs")).resolve("main");
        HubCache cache = new HubCache(cacheDir);
        HubId id = HubId.parse("someone/damaged").orElseThrow();
        Files.writeString(ref, "feedface\u0000feedface\n");
        CheckpointException e = assertThrows(CheckpointException.class, () -> cache.completeSnapshot(id));
        assertEquals(ref + ": does not hold a commit hash", e.getMessage());
        Files.write(ref, new byte[] {'f', (byte) 0xC3, 'e'});
        e = assertThrows(CheckpointException.class, () -> cache.completeSnapshot(id));
        assertEquals(ref + ": cannot read: not UTF-8 text", e.getMessage());
    }

    /** What transformers' AutoModel alone leaves in the cache: config.json and weights, no tokenizer files. */
    Path modelOnlyCache() throws Exception {
        Path repo = cacheDir.resolve("models--tiny-org--tiny-gpt2");
        Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve(FakeHub.COMMIT));
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(single.resolve(f), snapshot.resolve(f));
        }
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), FakeHub.COMMIT);
        return snapshot;
    }

    @Test
    void aCachedSnapshotWithoutTheTokenizerGetsItOnlineAndTheHubIsAskedOnce() throws Exception {
        Path snapshot = modelOnlyCache();
        try (LoadedModel m = ModelLoader.load(REPO, new ModelResolver(env()))) {
            assertEquals(snapshot, m.source());
            assertTrue(m.optTokenizer().isPresent(), "tokenizer.json was fetched into the cached snapshot");
        }
        List<String> asked = hub.requests().stream().map(r -> r.method() + " " + r.path()).toList();
        String at = "/" + REPO + "/resolve/" + FakeHub.COMMIT + "/";
        assertEquals(List.of("HEAD " + at + "tokenizer.json", "GET " + at + "tokenizer.json",
                "HEAD " + at + "tokenizer_config.json"), asked, "only the missing files, at the cached commit");
        assertTrue(Files.exists(cacheDir.resolve("models--tiny-org--tiny-gpt2/.no_exist").resolve(FakeHub.COMMIT)
                .resolve("tokenizer_config.json")), "the 404 is remembered where huggingface_hub keeps it");
        new ModelResolver(env()).resolve(REPO);
        assertEquals(asked.size(), hub.requests().size(), "a file the hub does not have is not asked for again");
    }

    @Test
    void offlineACachedSnapshotWithoutTheTokenizerSaysWhichFileIsMissingAndHowToGetIt() throws Exception {
        Path snapshot = modelOnlyCache();
        try (LoadedModel m = ModelLoader.load(REPO, new ModelResolver(env().withOffline(true)))) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> m.requireTokenizer("pass --tokens"));
            String msg = e.getMessage();
            assertTrue(msg.contains(snapshot.toString()) && msg.contains("no tokenizer.json")
                    && msg.contains("HF_HUB_OFFLINE") && msg.contains("hf download " + REPO + " tokenizer.json")
                    && msg.contains("--revision " + FakeHub.COMMIT) && msg.endsWith("pass --tokens"), msg);
        }
        assertEquals(0, hub.requests().size());
    }

    @Test
    void aRepositoryWithoutATokenizerIsNamedAsSuch(@TempDir Path noTokenizer) throws Exception {
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(single.resolve(f), noTokenizer.resolve(f));
        }
        hub.serve("tiny-org/no-tokenizer", noTokenizer);
        try (LoadedModel m = ModelLoader.load("tiny-org/no-tokenizer", new ModelResolver(env()))) {
            CheckpointException e = assertThrows(CheckpointException.class, m::requireTokenizer);
            assertTrue(e.getMessage().contains("tiny-org/no-tokenizer has no tokenizer.json at commit "
                    + FakeHub.COMMIT), e.getMessage());
        }
    }

    @Test
    void tokenIsSentAsBearerAndMissingReposAreNamed() {
        new ModelResolver(env().withToken("hf_secret")).resolve(REPO);
        assertTrue(hub.requests().stream().filter(r -> r.path().contains("/resolve/"))
                .allMatch(r -> "Bearer hf_secret".equals(r.authorization())), hub.requests().toString());
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> new ModelResolver(env()).resolve("tiny-org/nope"));
        assertTrue(e.getMessage().contains("tiny-org/nope") && e.getMessage().contains("neither a local path"),
                e.getMessage());
    }

    @Test
    void repositoryWithoutSafetensorsIsExplained(@TempDir Path onlyBin) throws Exception {
        Files.copy(single.resolve("config.json"), onlyBin.resolve("config.json"));
        Files.write(onlyBin.resolve("pytorch_model.bin"), new byte[] {1, 2, 3});
        hub.serve("tiny-org/pickled", onlyBin);
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> new ModelResolver(env()).resolve("tiny-org/pickled"));
        assertTrue(e.getMessage().contains("neither model.safetensors nor model.safetensors.index.json")
                && e.getMessage().contains("pytorch_model.bin"), e.getMessage());
    }

    @Test
    void existingPathsWinAndIdsAreParsed() throws Exception {
        assertEquals(single, new ModelResolver(env()).resolve(single.toString()));
        assertEquals(new HubId("a", "b", "main"), HubId.parse("a/b").orElseThrow());
        assertEquals(new HubId("a", "b.c-d", "v1.0"), HubId.parse("a/b.c-d@v1.0").orElseThrow());
        for (String notAnId : new String[] {"/abs/path", "./a/b", "a/b/c", "~/x", "a/model.bin", "gpt2", "../x"}) {
            assertTrue(HubId.parse(notAnId).isEmpty(), notAnId);
        }
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> new ModelResolver(env()).resolve(sources.resolve("missing").toString()));
        assertTrue(e.getMessage().contains("no such model directory or file"), e.getMessage());
    }

    @Test
    void environmentIsReadFromTheVariables() {
        Path home = Path.of("/home/r");
        HubEnvironment defaults = HubEnvironment.fromEnv(Map.of(), home, System.err);
        assertEquals(home.resolve(".cache/huggingface/hub"), defaults.cacheDir());
        assertEquals(URI.create("https://huggingface.co"), defaults.endpoint());
        assertFalse(defaults.offline());
        HubEnvironment hfHome = HubEnvironment.fromEnv(Map.of("HF_HOME", "/data/hf"), home, System.err);
        assertEquals(Path.of("/data/hf/hub"), hfHome.cacheDir());
        HubEnvironment all = HubEnvironment.fromEnv(Map.of("HF_HOME", "/data/hf", "HF_HUB_CACHE", "/x/cache",
                "HF_ENDPOINT", "http://mirror:8080/", "HF_TOKEN", "hf_secret_value", "HF_HUB_OFFLINE", "1",
                "HF_HUB_DISABLE_PROGRESS_BARS", "1"), home, System.err);
        assertEquals(Path.of("/x/cache"), all.cacheDir());
        assertEquals(URI.create("http://mirror:8080"), all.endpoint());
        assertEquals("hf_secret_value", all.token());
        assertTrue(all.offline());
        assertEquals(null, all.progress());
        assertFalse(all.toString().contains("hf_secret_value"), "the token is never printed");
    }

    /** sha256 of a file, following symlinks. */
    static final class DownloadSha {
        static String of(Path p) throws Exception {
            return FakeHub.sha256(Files.readAllBytes(p));
        }
    }
}
