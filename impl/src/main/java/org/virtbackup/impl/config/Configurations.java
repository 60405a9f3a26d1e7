package org.virtbackup.impl.config;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;

/**
 * A {@link VirtBackupConfig} outside OSGi, made as Declarative Services makes it from a
 * configuration: each attribute is the property of the same name ({@code target_directory} is
 * {@code target.directory}, as in {@code etc/org.virtbackup.cfg}), else its metatype default.
 */
public final class Configurations {

    private Configurations() {
    }

    /** @param properties values by configuration key; strings or numbers or booleans */
    public static VirtBackupConfig of(Map<String, ?> properties) {
        Map<String, ?> props = Map.copyOf(properties);
        return (VirtBackupConfig) Proxy.newProxyInstance(VirtBackupConfig.class.getClassLoader(),
                new Class<?>[] {VirtBackupConfig.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "annotationType" -> VirtBackupConfig.class;
                    case "toString" -> "VirtBackupConfig" + props;
                    case "hashCode" -> props.hashCode();
                    case "equals" -> proxy == args[0];
                    default -> value(method, props.get(method.getName().replace('_', '.')));
                });
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
        return text;
    }
}
