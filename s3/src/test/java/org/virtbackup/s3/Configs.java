package org.virtbackup.s3;

import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;

/**
 * A component property type over a map, as Declarative Services makes it: a method's name maps to
 * its property (single '_' to '.', a leading '_' to '.'), a missing property to the method's default.
 */
final class Configs {

    static final String ACCESS = "virt-backup-test";
    static final String SECRET = "s3cr3t-" + Long.toHexString(System.nanoTime());

    private Configs() {
    }

    /** An endpoint's configuration for the server, with these properties (pairs) over it. */
    static S3EndpointConfig endpoint(org.virtbackup.s3.testing.S3Server server, String... more) {
        java.util.Map<String, Object> c = new java.util.HashMap<>();
        c.put("name", "test");
        c.put("endpoint", server.endpoint());
        c.put(".access.key", ACCESS);
        c.put(".secret.key", SECRET);
        c.put("part.size.mib", 5);
        for (int i = 0; i + 1 < more.length; i += 2) {
            c.put(more[i], more[i + 1]);
        }
        return of(S3EndpointConfig.class, c);
    }

    /** Starts a server with these buckets, for the credentials above. */
    static org.virtbackup.s3.testing.S3Server server(java.nio.file.Path dir, String... buckets) throws Exception {
        return org.virtbackup.s3.testing.S3Server.start(dir, org.virtbackup.s3.testing.S3Server.freePort(), ACCESS, SECRET,
                buckets);
    }

    static <T> T of(Class<T> type, Map<String, Object> properties) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] { type }, (proxy, method, args) -> {
            if (method.getDeclaringClass() == Object.class) {
                return method.getName().equals("toString") ? type.getSimpleName() : method.invoke(properties, args);
            }
            Object value = properties.getOrDefault(property(method), method.getDefaultValue());
            return convert(value, method);
        }));
    }

    private static String property(Method m) {
        return m.getName().replace("__", "\u0000").replace('_', '.').replace('\u0000', '_');
    }

    private static Object convert(Object value, Method m) {
        Class<?> t = m.getReturnType();
        if (value == null) {
            return null;
        }
        if (t == int.class) {
            return Integer.valueOf(value.toString());
        }
        if (t == boolean.class) {
            return Boolean.valueOf(value.toString());
        }
        if (t.isArray() && !value.getClass().isArray()) {
            Object a = Array.newInstance(t.getComponentType(), 1);
            Array.set(a, 0, value.toString());
            return a;
        }
        return t == String.class ? value.toString() : value;
    }
}
