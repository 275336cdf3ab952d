package io.circuitscope.core.task;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;
import java.util.Locale;

/**
 * The built-in metrics, by the names the command line uses. When a target's answers are sets of tokens
 * ({@link Target#correctIds()}), probabilities add up over each set: prob-diff is p(correct set) - p(wrong set)
 * (Greater-Than's metric), logprob and prob read the correct set's total, and logit-diff is
 * log p(correct set) - log p(wrong set), which for one token each is the logit difference itself.
 */
public final class Metrics {
    private Metrics() {
    }

    /** logit(correct) - logit(wrong); for answer sets, log p(correct set) - log p(wrong set). */
    public static final Metric LOGIT_DIFF = new Simple("logit-diff", true) {
        @Override
        public void check(Task task) {
            requireWrongAnswers(task, name());
        }

        @Override
        public NDArray perTarget(NDArray logits, Batch batch, NDArray clean) {
            requireWrong(batch, name());
            NDArray at = Metric.atTargets(logits, batch);
            if (batch.hasAnswerSets()) {
                return Metric.logSumExpOver(at, batch.correctSets()).sub(Metric.logSumExpOver(at, batch.wrongSets()));
            }
            return Metric.pick(at, batch.correct()).sub(Metric.pick(at, batch.wrong()));
        }
    };

    /**
     * Logit difference averaged over answer-swapped pairs, as the seed study recommends: every
     * (correct a, wrong b) target must be matched by a (correct b, wrong a) target elsewhere in the task
     * ("The Eiffel Tower is in" Paris/Rome with "The Colosseum is in" Rome/Paris), so a prior for one
     * answer cancels out. Values are logit differences; the check runs before any pass.
     */
    public static final Metric LOGIT_DIFF_SWAPPED = new Simple("logit-diff-swapped", true) {
        @Override
        public void check(Task task) {
            requireWrongAnswers(task, name());
            task.requireSingleTokenAnswers("metric '" + name() + "'");
            java.util.Map<String, Integer> balance = new java.util.TreeMap<>();
            for (Example e : task.examples()) {
                for (Target t : e.targets()) {
                    int a = t.correctId();
                    int b = t.wrongId();
                    String key = Math.min(a, b) + "/" + Math.max(a, b);
                    balance.merge(key, a < b ? 1 : -1, Integer::sum);
                }
            }
            balance.forEach((pair, count) -> {
                if (count != 0) {
                    String[] ids = pair.split("/");
                    throw new IllegalArgumentException("metric 'logit-diff-swapped': answers " + ids[0] + " and " + ids[1]
                            + " appear " + Math.abs(count) + " more time(s) with " + (count > 0 ? ids[0] : ids[1])
                            + " correct than swapped; add the swapped prompts or use logit-diff");
                }
            });
        }

        @Override
        public NDArray perTarget(NDArray logits, Batch batch, NDArray clean) {
            return LOGIT_DIFF.perTarget(logits, batch, clean);
        }
    };

    /** log p(correct); for an answer set, log of its summed probability. */
    public static final Metric LOG_PROB = new Simple("logprob", true) {
        @Override
        public NDArray perTarget(NDArray logits, Batch batch, NDArray clean) {
            NDArray logP = Metric.atTargets(logits, batch).logSoftmax(-1);
            return batch.hasAnswerSets() ? Metric.logSumExpOver(logP, batch.correctSets())
                    : Metric.pick(logP, batch.correct());
        }
    };

    /** p(correct), summed over an answer set (one token: a set of one). */
    public static final Metric PROB = new Simple("prob", true) {
        @Override
        public NDArray perTarget(NDArray logits, Batch batch, NDArray clean) {
            return Metric.sumOver(Metric.atTargets(logits, batch).softmax(-1), batch.correctSets());
        }
    };

    /** p(correct) - p(wrong), each summed over its answer set (Greater-Than: later years minus the others). */
    public static final Metric PROB_DIFF = new Simple("prob-diff", true) {
        @Override
        public void check(Task task) {
            requireWrongAnswers(task, name());
        }

        @Override
        public NDArray perTarget(NDArray logits, Batch batch, NDArray clean) {
            requireWrong(batch, name());
            NDArray p = Metric.atTargets(logits, batch).softmax(-1);
            return Metric.sumOver(p, batch.correctSets()).sub(Metric.sumOver(p, batch.wrongSets()));
        }
    };

    /**
     * KL(clean run || this run) of the next-token distribution at each target; 0 for the clean model. Computed in
     * double precision from the float32 logits (the clean run's too, {@link Metric#cleanReference}): KL is
     * about d^2 / 2 for logits moved by d, so an edge with a small effect has a KL of 1e-8 or less, while float32
     * log-softmax rounds log(sum exp) by about 1e-6 over a 50,257-token vocabulary, which KL took in full (a KL of
     * 5.4e-8 read 3.7e-7; negative values too). The value returned has the logits' type.
     */
    public static final Metric KL = new Simple("kl", false) {
        @Override
        public boolean needsCleanReference() {
            return true;
        }

        @Override
        public NDArray perTarget(NDArray logits, Batch batch, NDArray clean) {
            if (clean == null) {
                throw new IllegalArgumentException("the kl metric needs the clean run's log-probabilities");
            }
            NDArray at = Metric.atTargets(logits, batch);
            NDArray cleanLogP = clean.expandDims(0);
            // results belong to their first operand's manager: keep them in this pass's, not the long-lived reference's
            cleanLogP.attach(at.getManager());
            // normalised here, in double: the clean reference is the clean run's logits (Metric.cleanReference)
            NDArray wideClean = cleanLogP.toType(DataType.FLOAT64, false).logSoftmax(-1);
            NDArray value = kl(wideClean, at.toType(DataType.FLOAT64, false)).toType(at.getDataType(), false);
            if (!JniUtils.isGradMode()) {
                return value; // an exact pass (outside a gradient collector): nothing to differentiate
            }
            // a type conversion carries no gradient in DJL (and hasGradient() does not tell a pass that needs one):
            // the gradient is float32's (first order, nothing cancels), the value double's (g - g is 0 exactly, so
            // the sum is the double value as it is)
            NDArray narrow = kl(wideClean.toType(at.getDataType(), false), at);
            return narrow.sub(narrow.stopGradient()).add(value);
        }
    };

    /** sum over the vocabulary of p_clean (log p_clean - log p), [M, T], from clean log-probabilities and logits. */
    private static NDArray kl(NDArray cleanLogP, NDArray logits) {
        return cleanLogP.exp().mul(cleanLogP.sub(logits.logSoftmax(-1))).sum(new int[] {2});
    }

    /**
     * 1 when the correct token (or the correct set's best token) has a higher logit than every token outside the
     * correct set, else 0 (not differentiable): a tie counts against the answer, so that a model indifferent between
     * the answers (equal logits, as a zero-ablated planted model gives) does not read as right.
     */
    public static final Metric ACCURACY = new Simple("accuracy", true) {
        @Override
        public boolean differentiable() {
            return false;
        }

        @Override
        public NDArray perTarget(NDArray logits, Batch batch, NDArray clean) {
            NDArray at = Metric.atTargets(logits, batch);
            return competitorsAtOrAbove(at, batch).eq(0f).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
        }
    };

    /**
     * Rank of the correct token (of the correct set's best token), 1 = top: 1 + the tokens outside the correct set
     * whose logit is at least its logit (ties count against it, as for accuracy; lower is better; not differentiable).
     */
    public static final Metric RANK = new Simple("rank", false) {
        @Override
        public boolean differentiable() {
            return false;
        }

        @Override
        public NDArray perTarget(NDArray logits, Batch batch, NDArray clean) {
            return competitorsAtOrAbove(Metric.atTargets(logits, batch), batch).add(1f);
        }
    };

    public static final List<Metric> ALL = List.of(LOGIT_DIFF, LOGIT_DIFF_SWAPPED, LOG_PROB, PROB, PROB_DIFF, KL, ACCURACY, RANK);

    public static Metric byName(String name) {
        String key = name.toLowerCase(Locale.ROOT);
        for (Metric m : ALL) {
            if (m.name().equals(key)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown metric '" + name + "' (known: "
                + String.join(", ", ALL.stream().map(Metric::name).toList()) + ")");
    }

    /** (m - m_corrupted) / (m_clean - m_corrupted): 1 = clean behaviour, 0 = corrupted behaviour. */
    public static double normalized(double value, double clean, double corrupted) {
        return (value - corrupted) / (clean - corrupted);
    }

    /** Before any pass: the first example and target without a wrong answer, named, when {@code metric} needs one. */
    private static void requireWrongAnswers(Task task, String metric) {
        for (int i = 0; i < task.examples().size(); i++) {
            List<Target> targets = task.examples().get(i).targets();
            for (int t = 0; t < targets.size(); t++) {
                if (targets.get(t).wrongIds().isEmpty()) {
                    throw new IllegalArgumentException("task '" + task.name() + "': example " + (i + 1) + ", targets["
                            + t + "] has no wrong answer, and metric '" + metric + "' needs one for every target "
                            + "(wrong_id / wrong); use logprob or prob, or add wrong answers");
                }
            }
        }
    }

    /**
     * Per target [M, T], how many tokens outside the correct set have a logit at least the correct set's best
     * (for one token: at least its own): the tokens a tie-breaking against the answer would put above it.
     */
    private static NDArray competitorsAtOrAbove(NDArray at, Batch batch) {
        NDArray best = (batch.hasAnswerSets() ? Metric.maxOver(at, batch.correctSets())
                : Metric.pick(at, batch.correct())).expandDims(2);
        NDArray outside = Metric.multiHot(at, batch.correctSets(), at.getShape().get(2)).neg().add(1f);
        return at.gte(best).toType(ai.djl.ndarray.types.DataType.FLOAT32, false).mul(outside).sum(new int[] {2});
    }

    private static void requireWrong(Batch batch, String metric) {
        if (!batch.hasWrongAnswers()) {
            throw new IllegalArgumentException("metric '" + metric + "' needs a wrong answer for every target "
                    + "(wrong_id / wrong)");
        }
    }

    private abstract static class Simple implements Metric {
        private final String name;
        private final boolean higherIsBetter;

        Simple(String name, boolean higherIsBetter) {
            this.name = name;
            this.higherIsBetter = higherIsBetter;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public boolean higherIsBetter() {
            return higherIsBetter;
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
