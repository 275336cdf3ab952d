package io.circuitscope.discovery;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.NodeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metric;
import java.util.Locale;

/**
 * One discovery on a prepared task: the method its key names ({@link Methods}) and what that method keeps. Returns the
 * circuit with what the run learnt on the way; how that is recorded (circuit.json, a benchmark's table) is the caller's.
 */
public final class Discovery {
    /** Unverified edges patched exactly, one at a time, for the false-negative bound. */
    public static final int FALSE_NEGATIVE_SAMPLES = 50;

    /** A score at most this fraction of the largest is named as tiny beside the count of non-zero scores. */
    static final double TINY = 1e-6;

    private Discovery() {
    }

    /**
     * Refuses options no model or task can make work under {@code metric}: an unknown method, scorer or candidate
     * budget (a misspelt scorer or budget is refused even where the method does not use it, since it shows the user
     * meant something else), or a scorer whose gradient of {@code metric} is zero (a step function; KL at the clean
     * run). Settings are named as {@code names} does.
     */
    public static void check(DiscoveryOptions o, Metric metric, SettingNames names) {
        Methods.checkMethod(o.method());
        Methods.scorer(o.scorer(), o.igSteps());
        CandidateBudget.parse(o.candidates());
        String scorerKey = o.scoringKey();
        if (Methods.usesGradients(scorerKey) && !metric.differentiable()) {
            throw new IllegalArgumentException(scorerKey + " differentiates the metric, and " + metric.name() + " is a "
                    + "step function whose gradient is zero almost everywhere; use " + names.of("metric") + " logit-diff "
                    + "(or another task metric), or " + names.of("method") + " acdc or exact, or the pipeline with "
                    + names.of("scorer") + " exact, which only evaluate it");
        }
        if (Methods.differentiatesAtClean(scorerKey, o.igSteps()) && metric.needsCleanReference()) {
            throw new IllegalArgumentException(scorerKey + (Methods.takesIgSteps(scorerKey) ? " with one step" : "")
                    + " takes the gradient at the clean model, where KL divergence is at its minimum and every gradient "
                    + "is zero; " + Methods.insteadOfCleanGradient(scorerKey, names));
        }
    }

    /**
     * What one discovery found.
     *
     * @param circuit            the circuit, carrying {@code scores}
     * @param scores             every edge's score (the pipeline's: ACDC's exact effects for its verified candidates)
     * @param whyEmpty           what an empty circuit means for this method and these settings, named as the caller
     *                           names them (said only when the circuit is empty)
     * @param fewScored          that fewer edges or nodes than asked have a non-zero score, so only those were kept;
     *                           null when enough have
     * @param completeness       EAP-IG's completeness check of the scorer's estimates; null for other scorers
     * @param candidatesVerified the candidates ACDC verified: the pipeline's; -1 for every other method
     * @param rounds             the candidate budget's rounds ({@code bound[:F]}); null without them
     * @param bound              the false-negative check; null where it did not run
     */
    public record Found(Circuit circuit, EdgeScores scores, String whyEmpty, String fewScored,
            EapIg.Completeness completeness, int candidatesVerified, CandidateRounds rounds, FalseNegativeBound bound) {
    }

    /** Runs the method {@code o} names on {@code tp}; messages name settings as {@code names} does. */
    public static Found find(TaskPatcher tp, DiscoveryOptions o, SettingNames names, Progress progress) {
        return find(tp, o, names, progress, AcdcJournal.NONE);
    }

    /**
     * As above; a method that runs ACDC (acdc, the pipeline) goes on from the state {@code journal} holds and records
     * its state there as it goes (see {@link Acdc#search(TaskPatcher, boolean[], Progress, AcdcJournal)}).
     */
    public static Found find(TaskPatcher tp, DiscoveryOptions o, SettingNames names, Progress progress,
            AcdcJournal journal) {
        return find(tp, o, names, progress, journal, EffectsJournal.NONE);
    }

    /**
     * As above; exhaustive patching (method exact, or the pipeline's scorer exact) also goes on from the effects
     * {@code effects} holds and records them there after every layer ({@link ExhaustivePatching#withJournal}).
     */
    public static Found find(TaskPatcher tp, DiscoveryOptions o, SettingNames names, Progress progress,
            AcdcJournal journal, EffectsJournal effects) {
        return switch (o.method()) {
            case Methods.ACDC -> acdc(tp, o, names, progress, journal);
            case Methods.ATP -> nodeAtp(tp, o, names, progress);
            case Methods.PIPELINE -> pipeline(tp, o, names, progress, journal, effects);
            default -> keepTopScored(tp, journaled(Methods.scorer(o.method(), o.igSteps()), effects), o, names, progress);
        };
    }

    /** Whether the method {@code o} names keeps progress a stopped run can go on from: it runs ACDC or patches every edge. */
    public static boolean keepsProgress(DiscoveryOptions o) {
        return runsAcdc(o) || patchesEveryEdge(o);
    }

    /** Whether the method {@code o} names patches every edge exactly, and so can go on from an {@link EffectsJournal}. */
    public static boolean patchesEveryEdge(DiscoveryOptions o) {
        return o.method().equals(Methods.EXACT) || (o.method().equals(Methods.PIPELINE) && o.scorer().equals(Methods.EXACT));
    }

    /** {@code scorer} recording in {@code effects} when it is exhaustive patching; any other scorer as it is. */
    private static EdgeScorer journaled(EdgeScorer scorer, EffectsJournal effects) {
        return scorer instanceof ExhaustivePatching exact ? exact.withJournal(effects) : scorer;
    }

    /** Whether the method {@code o} names runs ACDC, and so can go on from a journal. */
    public static boolean runsAcdc(DiscoveryOptions o) {
        return o.method().equals(Methods.ACDC) || o.method().equals(Methods.PIPELINE);
    }

    private static Found acdc(TaskPatcher tp, DiscoveryOptions o, SettingNames names, Progress progress,
            AcdcJournal journal) {
        Circuit circuit = new Acdc(o.tau()).search(tp, null, progress, journal);
        return new Found(circuit, circuit.scores(), "ACDC kept no path from input to logits at tau " + o.tau()
                + " (a smaller " + names.of("tau") + " keeps more)", null, null, -1, null, null);
    }

    /** Node scores choose the circuit; edges carry EAP scores, whose sums per node are the AtP scores. */
    private static Found nodeAtp(TaskPatcher tp, DiscoveryOptions o, SettingNames names, Progress progress) {
        NodeScores nodes = new Atp().score(tp, progress);
        EdgeScores scores = new Eap().score(tp, progress);
        // a node whose score is zero is no evidence: filling the nodes asked for with them by tie order misleads
        int nodesKept = Math.min(o.nodes(), nodes.withEvidence());
        String fewScored = fewScored("node", o.nodes(), nodesKept, nodes.values().length);
        Circuit circuit = nodes.circuitOfTop(nodesKept, scores, tp.task().targetPositions()).pruned(tp.ablation());
        String nodesName = names.of("nodes");
        String whyEmpty = o.nodes() == 0 ? nodesName + " 0 keeps no node" : nodesKept == 0 ? "no node has a non-zero "
                + "AtP score" : "the edges of the " + nodesKept + " top AtP "
                + "nodes form " + noPath(tp.ablation()) + ", so pruning removed them all (more " + nodesName + " keeps more)";
        return new Found(circuit, scores, whyEmpty, fewScored, null, -1, null, null);
    }

    private static Found pipeline(TaskPatcher tp, DiscoveryOptions o, SettingNames names, Progress progress,
            AcdcJournal journal, EffectsJournal effects) {
        EdgeScorer scorer = journaled(Methods.scorer(o.scorer(), o.igSteps()), effects);
        Pipeline.Result r = new Pipeline(scorer, CandidateBudget.parse(o.candidates()), new Acdc(o.tau()))
                .withSeed(o.seed())
                .withJournal(journal)
                .withFalseNegativeCheck(FALSE_NEGATIVE_SAMPLES, o.seed())
                .run(tp, progress);
        EapIg.Completeness completeness = completeness(scorer, tp, r.estimates());
        String whyEmpty = r.candidates() == 0 ? names.of("candidates") + " " + o.candidates() + " selected no edge, so "
                + "ACDC had nothing to verify" : "ACDC kept no path from input to logits among the " + r.candidates()
                + " candidate edges at tau " + o.tau() + " (a smaller " + names.of("tau") + ", or more "
                + names.of("candidates") + ", keeps more)";
        return new Found(r.circuit().withScores(r.scores()), r.scores(), whyEmpty, null, completeness, r.candidates(),
                r.rounds(), r.bound());
    }

    /**
     * A scorer-only run: {@code scorer} scores every edge, the top {@code o.edges()} with a non-zero score are kept
     * and pruned, and, but for exact patching, the false-negative check samples the rest. Public for a scorer no key
     * names (a benchmark's EAP-IG-inputs at one step per pass); {@link #find} runs the one {@code o.method()} names.
     */
    public static Found keepTopScored(TaskPatcher tp, EdgeScorer scorer, DiscoveryOptions o, SettingNames names,
            Progress progress) {
        EdgeScores scores = scorer.score(tp, progress);
        EapIg.Completeness completeness = completeness(scorer, tp, scores);
        // an edge whose score is zero is no evidence: filling the edges asked for with them by tie order misleads
        int edgesKept = Math.min(Math.min(o.edges(), tp.graph().nEdges()), scores.withEvidence());
        String fewScored = withTinyCount(fewScored("edge", o.edges(), edgesKept, tp.graph().nEdges()),
                scores.importances());
        boolean[] kept = scores.topK(edgesKept);
        Circuit circuit = Circuit.of(tp.graph(), kept, scores).pruned(tp.ablation());
        String edgesName = names.of("edges");
        String whyEmpty = o.edges() == 0 ? edgesName + " 0 keeps no edge" : edgesKept == 0 ? "no edge has a non-zero score"
                : "the " + edgesKept + " top-scored edges form " + noPath(tp.ablation()) + ", so pruning removed "
                + "them all (more " + edgesName + " keeps more)";
        FalseNegativeBound bound = null;
        if (!scorer.key().equals("exact") && edgesKept < tp.graph().nEdges()) {
            // AtP*'s diagnostic for any cheap scorer: how many edges with an effect of tau or more
            // could the ranking have left out?
            bound = FalseNegativeBound.estimate(tp, kept, o.tau(), FALSE_NEGATIVE_SAMPLES, 0.95, o.seed(), progress);
        }
        return new Found(circuit, scores, whyEmpty, fewScored, completeness, -1, null, bound);
    }

    /** EAP-IG's completeness check ({@link EapIg#completeness}) of {@code estimates}; null for other scorers. */
    private static EapIg.Completeness completeness(EdgeScorer scorer, TaskPatcher tp, EdgeScores estimates) {
        return scorer instanceof EapIg ig ? ig.completeness(tp, estimates) : null;
    }

    /**
     * That fewer than the {@code asked} edges or nodes have a non-zero score, so only those were kept; null when
     * enough have.
     */
    private static String fewScored(String what, int asked, int kept, int total) {
        if (kept >= Math.min(asked, total)) {
            return null;
        }
        return String.format(Locale.ROOT, "only %d %s%s %s a non-zero score; kept %d of the %d asked", kept, what,
                kept == 1 ? "" : "s", kept == 1 ? "has" : "have", kept, asked);
    }

    /**
     * {@code note} (null: none) with how many of the non-zero scores are tiny (|score| at most {@link #TINY} of the
     * largest): "only 12 edges have a non-zero score" counted EAP's 1e-33 beside its 10.0. They are kept all the same:
     * on planted:ioi exactly such scores (gradients through saturated attention) sit on planted edges.
     */
    private static String withTinyCount(String note, double[] importances) {
        if (note == null) {
            return null;
        }
        double max = 0;
        for (double v : importances) {
            max = v > max ? v : max;
        }
        int tiny = 0;
        for (double v : importances) {
            tiny += v > 0 && v <= TINY * max ? 1 : 0;
        }
        if (tiny == 0) {
            return note;
        }
        int at = note.indexOf("; kept ");
        return note.substring(0, at) + String.format(Locale.ROOT, " (%d of them at most 1e-6 of the "
                + "largest |score|, kept all the same: only exact zeros are no evidence)", tiny) + note.substring(at);
    }

    /** What pruning removes all of a circuit for under {@code ablation} (see {@link Circuit#pruned}). */
    private static String noPath(Ablation ablation) {
        return ablation == Ablation.RESAMPLE ? "no path from input to logits" : "no path to the logits";
    }
}
