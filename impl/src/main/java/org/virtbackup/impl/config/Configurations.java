package org.virtbackup.impl.config;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;

/**
 * A {@link VirtBackupConfig} (or another component property type) outside OSGi, made as
 * Declarative Services makes it from a configuration: each attribute is the property of the same
 * name, an underscore a dot ({@code target_directory} is {@code target.directory}, as in
 * {@code etc/org.virtbackup.cfg}; {@code _secret_key} is the private {@code .secret.key}), else
 * its metatype default.
 */
public final class Configurations {

    private Configurations() {
    }

    /** @param properties values by configuration key; strings or numbers or booleans */
    public static VirtBackupConfig of(Map<String, ?> properties) {
        return of(VirtBackupConfig.class, properties);
    }

    /** A component property type of these properties, as {@link #of(Map)} makes a {@link VirtBackupConfig}. */
    public static <T extends java.lang.annotation.Annotation> T of(Class<T> type, Map<String, ?> properties) {
        Map<String, ?> props = Map.copyOf(properties);
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(),
                new Class<?>[] {type}, (proxy, method, args) -> switch (method.getName()) {
                    case "annotationType" -> type;
                    case "toString" -> type.getSimpleName() + props.keySet(); // values may be secrets
                    case "hashCode" -> props.hashCode();
                    case "equals" -> proxy == args[0];
                    default -> value(method, props.get(method.getName().replace('_', '.')));
                }));
    }

    private static Object value(Method attribute, Object configured) {
        if (configured == null) {
            return attribute.getDefaultValue();
        }
        String text = String.valueOf(configured);
        Class<?> type = attribute.getReturnType();
        if (type == int.class) {
            return Integer.parseInt(text);
        }
        if (type == long.class) {
            return Long.parseLong(text);
        }
        if (type == boolean.class) {
            return Boolean.parseBoolean(text);
        }
        if (type == String[].class) {
            return configured instanceof String[] a ? a : text.split("\\s*,\\s*");
        }
        return text;
    }
}
