package io.circuitscope.core.io.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.io.CheckpointException;
import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.testing.FakeHub;
import io.circuitscope.core.testing.TinyCheckpoint;
import io.circuitscope.core.testing.TinyTokenizer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What the downloader trusts and sends: the commit the hub names, revision URLs, retries, where the token goes. */
@Timeout(120)
class HubDownloaderTest {
    static final String REPO = "tiny-org/tiny-gpt2";

    @TempDir
    static Path sources;
    static Path single;
    static Path retrained;
    static final String LATER_COMMIT = "fedcba9876543210fedcba9876543210fedcba98";

    @TempDir
    Path tmp;
    Path cacheDir;
    FakeHub hub;

    @BeforeAll
    static void writeCheckpoint() throws Exception {
        single = Files.createDirectories(sources.resolve("single"));
        int vocab = TinyTokenizer.write(single);
        TinyCheckpoint.gpt2(5, 2, 2, 8, vocab, 24, true).write(single, TensorDtype.F32);
        retrained = Files.createDirectories(sources.resolve("retrained"));
        TinyTokenizer.write(retrained);
        TinyCheckpoint.gpt2(6, 2, 2, 8, vocab, 24, true).write(retrained, TensorDtype.F32);
    }

    @BeforeEach
    void startHub() throws Exception {
        // Two levels below the temp dir, so a path escaping the cache still lands where the test can see it.
        cacheDir = tmp.resolve("outer/hub");
        hub = new FakeHub().serve(REPO, single);
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    HubEnvironment env() {
        return new HubEnvironment(cacheDir, hub.endpoint(), null, false, null, Duration.ofSeconds(10));
    }

    /** The pauses the downloader asked for between attempts, in milliseconds; nobody waits. */
    final List<Long> pauses = Collections.synchronizedList(new ArrayList<>());

    ModelResolver resolver() {
        return new ModelResolver(env(), new Backoff(1000, 8000, pauses::add));
    }

    @Test
    void aMissingRepoCommitIsRefusedAndNothingIsCachedUnderTheBranchName() {
        hub.sendCommitHeader(null);
        CheckpointException e = assertThrows(CheckpointException.class, () -> resolver().resolve(REPO));
        String m = e.getMessage();
        assertTrue(m.contains(REPO) && m.contains("config.json") && m.contains("no X-Repo-Commit")
                && m.contains(hub.endpoint().toString()), m);
        Path repo = cacheDir.resolve("models--tiny-org--tiny-gpt2");
        assertFalse(Files.exists(repo.resolve("snapshots/main")), "no snapshot named after the branch");
        assertFalse(Files.exists(repo.resolve("refs/main")), "no ref holding a branch name");
    }

    @Test
    void aRepoCommitThatIsNotAHashIsRefusedAndNothingLeavesTheCache() throws Exception {
        String evil = "../../../escaped";
        hub.sendCommitHeader(evil);
        CheckpointException e = assertThrows(CheckpointException.class, () -> resolver().resolve(REPO));
        assertTrue(e.getMessage().contains(REPO) && e.getMessage().contains("'" + evil + "'")
                && e.getMessage().contains("40 hexadecimal"), e.getMessage());
        try (Stream<Path> all = Files.walk(tmp)) {
            all.filter(p -> !p.equals(tmp) && !p.equals(cacheDir.getParent()))
                    .forEach(p -> assertTrue(p.startsWith(cacheDir), "outside the cache: " + p));
        }
    }

    @Test
    void anUppercaseRepoCommitIsLowercased() {
        hub.sendCommitHeader(FakeHub.COMMIT.toUpperCase(java.util.Locale.ROOT));
        Path dir = resolver().resolve(REPO);
        assertEquals(cacheDir.resolve("models--tiny-org--tiny-gpt2/snapshots").resolve(FakeHub.COMMIT), dir);
    }

    @Test
    void filesAfterTheFirstAreFetchedByTheResolvedCommitSoAMovingBranchCannotMixCommits() throws Exception {
        hub.serve(REPO, LATER_COMMIT, retrained);
        hub.moveBranchAfter(1, REPO, "main", LATER_COMMIT);
        Path dir = resolver().resolve(REPO);
        assertEquals(FakeHub.COMMIT, dir.getFileName().toString());
        List<String> resolves = hub.requests().stream().map(FakeHub.Request::path)
                .filter(p -> p.contains("/resolve/")).toList();
        assertTrue(resolves.get(0).contains("/resolve/main/config.json"), resolves.toString());
        assertTrue(resolves.stream().skip(1).allMatch(p -> p.contains("/resolve/" + FakeHub.COMMIT + "/")),
                resolves.toString());
        assertArrayEquals(Files.readAllBytes(single.resolve("model.safetensors")),
                Files.readAllBytes(dir.resolve("model.safetensors")), "the weights of the commit config.json named");
        assertEquals(FakeHub.COMMIT, Files.readString(cacheDir.resolve("models--tiny-org--tiny-gpt2/refs/main")));
    }

    @Test
    void aRevisionWithSlashesIsOneEncodedSegmentAndItsRefNestsAsInHuggingfaceHub() {
        hub.branch(REPO, "refs/pr/1", FakeHub.COMMIT);
        Path dir = resolver().resolve(REPO + "@refs/pr/1");
        assertEquals(FakeHub.COMMIT, dir.getFileName().toString());
        // huggingface_hub: quote(revision, safe="")
        assertEquals("/tiny-org/tiny-gpt2/resolve/refs%2Fpr%2F1/config.json", hub.requests().get(0).path());
        Path ref = cacheDir.resolve("models--tiny-org--tiny-gpt2/refs/refs/pr/1");
        assertEquals(FakeHub.COMMIT, assertDoesNotThrow(() -> Files.readString(ref)));
        int before = hub.requests().size();
        assertEquals(dir, resolver().resolve(REPO + "@refs/pr/1"));
        assertEquals(before, hub.requests().size(), "found in the cache through refs/refs/pr/1");
    }

    @Test
    void revisionsThatWouldLeaveTheRefsFolderAreRefused() {
        for (String rev : new String[] {"pr//1", "pr/./1", "pr/", "pr/.", "a/../../b"}) {
            assertThrows(CheckpointException.class, () -> HubId.parse("a/b@" + rev), rev);
        }
        HubCache cache = new HubCache(cacheDir);
        for (String rev : new String[] {"/etc/passwd", "../../x", "a/../../../x", "refs/.."}) {
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> cache.refFile(new HubId("a", "b", rev)), rev);
            assertTrue(e.getMessage().contains("'" + rev + "'"), e.getMessage());
        }
    }

    @Test
    void transientServerErrorsFromTheStorageHostAreRetried() throws Exception {
        hub.fail("/cdn/", 2, 503, null);
        Path dir = resolver().resolve(REPO);
        assertArrayEquals(Files.readAllBytes(single.resolve("model.safetensors")),
                Files.readAllBytes(dir.resolve("model.safetensors")));
        assertEquals(3, hub.requests().stream().filter(r -> r.path().startsWith("/cdn/")).count());
        assertEquals(List.of(1000L, 2000L), pauses, "growing pauses as huggingface_hub's http_backoff");
    }

    @Test
    void tooManyRequestsOnTheHeadIsRetriedAfterAShortRetryAfter() {
        hub.fail("/tiny-org/tiny-gpt2/resolve/main/config.json", 1, 429, "3");
        resolver().resolve(REPO);
        assertEquals(List.of(3000L), pauses);
    }

    @Test
    void aServerThatKeepsFailingIsNamedWithTheUrlThatAnswered() throws Exception {
        URI storage = hub.storageOnSecondPort();
        hub.fail("/cdn/", 100, 502, null);
        CheckpointException e = assertThrows(CheckpointException.class, () -> resolver().resolve(REPO));
        String m = e.getMessage();
        String sha = FakeHub.sha256(Files.readAllBytes(single.resolve("model.safetensors")));
        assertTrue(m.contains(REPO + "/model.safetensors") && m.contains("after 5 attempts")
                && m.contains("HTTP 502 from " + storage + "/cdn/" + sha), m);
        assertFalse(m.contains(hub.endpoint().toString()), "the endpoint did not fail: " + m);
        assertEquals(4, pauses.size());
    }

    @Test
    void aLongRetryAfterIsNotWaitedForButReported() {
        hub.fail("/cdn/", 100, 429, "3600");
        CheckpointException e = assertThrows(CheckpointException.class, () -> resolver().resolve(REPO));
        assertTrue(e.getMessage().contains("HTTP 429") && e.getMessage().contains("wait 3600 s"), e.getMessage());
        assertEquals(List.of(), pauses);
    }

    @Test
    void theTokenGoesToTheEndpointOnlyNeverToTheStorageHostAnLfsFileRedirectsTo() throws Exception {
        hub.storageOnSecondPort();
        new ModelResolver(env().withToken("hf_secret"), new Backoff(1, 1, pauses::add)).resolve(REPO);
        List<FakeHub.Request> storage = hub.requests().stream().filter(r -> r.server().equals("storage")).toList();
        assertFalse(storage.isEmpty(), "model.safetensors came from the storage host");
        assertTrue(storage.stream().allMatch(r -> r.authorization() == null), storage.toString());
        assertTrue(hub.requests().stream().filter(r -> r.server().equals("hub"))
                .allMatch(r -> "Bearer hf_secret".equals(r.authorization())), hub.requests().toString());
    }

    @Test
    void theSameOriginIsSchemeHostAndPort() throws Exception {
        URI hf = URI.create("https://huggingface.co");
        assertTrue(HubHttp.sameOrigin(new java.net.URL("https://HuggingFace.co:443/a/b/resolve/main/x"), hf));
        assertFalse(HubHttp.sameOrigin(new java.net.URL("https://cdn-lfs.hf.co/repos/x"), hf));
        assertFalse(HubHttp.sameOrigin(new java.net.URL("http://huggingface.co/a"), hf));
        assertFalse(HubHttp.sameOrigin(new java.net.URL("https://huggingface.co:8443/a"), hf));
    }
}
