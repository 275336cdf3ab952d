package io.circuitscope.core.testing;

import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * For tests that set the JVM's default locale: puts back the one before each test when it ends. {@link #LOCALES}
 * are the two that broke output: German writes decimal commas, Arabic (Saudi Arabia) Arabic-Indic digits.
 */
public final class UnderForeignLocales implements BeforeEachCallback, AfterEachCallback {
    public static final List<Locale> LOCALES = List.of(Locale.GERMANY, Locale.forLanguageTag("ar-SA"));
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(UnderForeignLocales.class);

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(NAMESPACE).put("before", Locale.getDefault());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Locale.setDefault(context.getStore(NAMESPACE).get("before", Locale.class));
    }
}
