package org.virtbackup.itests;

import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.maven;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.when;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.configureConsole;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.configureSecurity;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.debugConfiguration;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.features;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.karafDistributionConfiguration;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.keepRuntimeFolder;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.logLevel;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.replaceConfigurationFile;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivilegedActionException;
import java.security.PrivilegedExceptionAction;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.inject.Inject;
import javax.security.auth.Subject;
import java.util.Properties;
import java.util.concurrent.Callable;

import org.apache.karaf.features.BootFinished;
import org.apache.karaf.jaas.boot.principal.RolePrincipal;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.junit.Before;
import org.junit.Rule;
import org.junit.rules.TestRule;
import org.junit.runners.model.Statement;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.ProbeBuilder;
import org.ops4j.pax.exam.TestProbeBuilder;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.karaf.options.LogLevelOption.LogLevel;
import org.ops4j.pax.exam.options.extra.VMOption;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Base of the in-container tests: boots a plain Apache Karaf with the {@code virt-backup} feature
 * installed from this build's features repository, then runs the test methods inside it.
 *
 * <p>{@link #config()} runs in the test JVM; everything else runs in Karaf. One container per test
 * class ({@link PerClass}). Subclasses add options (configuration, system properties) by overriding
 * {@link #additionalOptions()}, e.g.
 * {@code editConfigurationFilePut("etc/org.virtbackup.cfg", "key", "value")}.
 *
 * <p>System properties of the test JVM whose name starts with {@code virtbackup.} are passed into the
 * container; {@code virtbackup.itest.dir} (default {@code /var/tmp/virt-backup-itest}) is a scratch
 * directory the test JVM creates. {@code -Dvirtbackup.itest.keep=true} keeps the unpacked Karaf under
 * {@code target/exam}; {@code -Dvirtbackup.itest.debug=true} makes it wait for a debugger on port 5005.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public abstract class VirtBackupTestSupport {

    /** The property naming the scratch directory, in the test JVM and in the container. */
    public static final String ITEST_DIR = "virtbackup.itest.dir";

    protected static final long SERVICE_TIMEOUT_MS = 30_000;
    protected static final long COMMAND_TIMEOUT_MS = 60_000;
    /** Boot features (ours included) are installed after the probe starts: allow for a slow host. */
    private static final long BOOT_TIMEOUT_MS = 300_000;

    @Inject
    protected BundleContext bundleContext;

    /** What Karaf's RBAC lets an administrator do: the roles of its admingroup. */
    protected static final String[] ADMIN_ROLES = {"admin", "manager", "viewer", "systembundles"};

    private final ExecutorService executor = Executors.newCachedThreadPool();

    /**
     * Every test runs as an administrator, as an operator's session would: BackupService is
     * guarded by role, and a call without a Subject holding one is refused. Threads a test starts
     * inherit the Subject.
     */
    @Rule
    public final TestRule asAdministrator = (base, description) -> new Statement() {
        @Override
        public void evaluate() throws Throwable {
            try {
                Subject.doAs(subject(ADMIN_ROLES), (PrivilegedExceptionAction<Void>) () -> {
                    try {
                        base.evaluate();
                    } catch (SecurityException e) {
                        // Without a cause: Pax Exam reports the root cause of a failure, not its message.
                        AssertionError refused = new AssertionError(e + "; " + serviceAcls());
                        refused.setStackTrace(e.getStackTrace());
                        throw refused;
                    } catch (Exception | Error e) {
                        throw e;
                    } catch (Throwable t) {
                        throw new AssertionError(t);
                    }
                    return null;
                });
            } catch (PrivilegedActionException e) {
                throw e.getException();
            } finally {
                executor.shutdownNow(); // after the report above, which runs a command
            }
        }
    };

    /**
     * The service ACLs Configuration Admin lists, after a test was refused: the guard lists them
     * at every call, and refuses an administrator only when those matching the service give its
     * method no role.
     */
    private String serviceAcls() {
        try {
            return "the service ACLs listed now:\n"
                    + executeCommand("config:list '(service.pid=org.apache.karaf.service.acl.*)'");
        } catch (Exception | Error e) {
            return "the service ACLs could not be listed: " + e;
        }
    }

    /** Runs the call as this Subject, on this thread; its exceptions are thrown as they are. */
    protected static <T> T as(Subject subject, Callable<T> call) throws Exception {
        try {
            return Subject.doAs(subject, (PrivilegedExceptionAction<T>) call::call);
        } catch (PrivilegedActionException e) {
            throw e.getException();
        }
    }

    /** A JAAS Subject holding these roles (and no user). */
    protected static Subject subject(String... roles) {
        Subject subject = new Subject();
        for (String role : roles) {
            subject.getPrincipals().add(new RolePrincipal(role));
        }
        return subject;
    }

    @Configuration
    public final Option[] config() {
        return OptionUtils.combine(baseOptions(), additionalOptions());
    }

    /** Options a test class adds to the base configuration; none by default. */
    protected Option[] additionalOptions() {
        return new Option[0];
    }

    /**
     * Whether Karaf boots with our ACL files in etc/, as our distribution does; without them, the
     * feature's own configurations guard the services, as in a Karaf of one's own.
     */
    protected boolean aclFilesAtBoot() {
        return true;
    }

    private Option[] baseOptions() {
        String karafVersion = requiredProperty("karaf.version");
        String version = requiredProperty("virtbackup.version");
        String localRepository = System.getProperty("org.ops4j.pax.url.mvn.localRepository",
                System.getProperty("user.home") + "/.m2/repository");
        String repositories = System.getProperty("org.ops4j.pax.url.mvn.repositories",
                "https://repo1.maven.org/maven2@id=central");
        String itestDir = System.getProperty(ITEST_DIR, "/var/tmp/virt-backup-itest");
        try {
            Files.createDirectories(Path.of(itestDir));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the scratch directory " + itestDir, e);
        }

        List<Option> options = new ArrayList<>(List.of(
                karafDistributionConfiguration()
                        .frameworkUrl(maven("org.apache.karaf", "apache-karaf").type("tar.gz").version(karafVersion))
                        .name("Apache Karaf")
                        .unpackDirectory(new File("target/exam"))
                        .useDeployFolder(false),
                configureConsole().ignoreLocalConsole(),
                // As Karaf's own KarafTestSupport: JMX role-based access is not under test here.
                configureSecurity().disableKarafMBeanServerBuilder(),
                logLevel(LogLevel.WARN),
                when(Boolean.getBoolean("virtbackup.itest.keep")).useOptions(keepRuntimeFolder()),
                when(Boolean.getBoolean("virtbackup.itest.debug")).useOptions(debugConfiguration("5005", true)),

                // Karaf's guard of services by role, as our distribution boots it (see karaf.secured.services below).
                features(maven("org.apache.karaf.features", "standard").type("xml").classifier("features")
                        .version(karafVersion), "service-security"),
                features(maven("org.virtbackup", "virt-backup-features").type("xml").classifier("features")
                        .version(version), "virt-backup"),

                // Resolve mvn: URLs from the build's local repository (where mvn install put our
                // bundles), with Maven Central as the only remote: the defaults also list snapshot
                // repositories that are slow or unreachable from a build host.
                editConfigurationFilePut("etc/org.ops4j.pax.url.mvn.cfg",
                        "org.ops4j.pax.url.mvn.localRepository", localRepository),
                editConfigurationFilePut("etc/org.ops4j.pax.url.mvn.cfg",
                        "org.ops4j.pax.url.mvn.repositories", repositories),
                editConfigurationFilePut("etc/org.apache.karaf.features.cfg", "updateSnapshots", "none"),
                // The services Karaf guards by role, as our distribution ships them: BackupService among them.
                editConfigurationFilePut("etc/system.properties", "karaf.secured.services", distributionProperty(
                        "karaf.secured.services")),

                // The roles that guard our services and commands, as files in etc/ when Karaf boots,
                // as in our distribution: fileinstall creates those configurations at boot, before
                // any bundle of ours, and the feature's own copies are then skipped.
                aclFilesAtBoot() ? composite(featureAcls().stream()
                        .map(pid -> assembledFile("etc/" + pid + ".cfg")).toArray(Option[]::new)) : composite(),

                // Changing a configuration takes admin, as in our distribution.
                distributionFile("etc/org.apache.karaf.command.acl.config.cfg"),
                distributionFile("etc/jmx.acl.org.apache.karaf.config.cfg"),
                distributionFile("etc/jmx.acl.osgi.compendium.cm.cfg"),

                // Free ports, so that the tests run next to another Karaf (e.g. the distribution).
                editConfigurationFilePut("etc/org.apache.karaf.shell.cfg", "sshPort", freePort()),
                editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiRegistryPort", freePort()),
                editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiServerPort", freePort())));

        // What bin/karaf passes to a Java 9+ VM; Pax Exam starts the VM itself and does not.
        options.addAll(List.of(
                new VMOption("--add-reads=java.xml=java.logging"),
                new VMOption("--add-exports=java.base/org.apache.karaf.specs.locator=java.xml,ALL-UNNAMED"),
                new VMOption("--patch-module"),
                new VMOption("java.base=lib/endorsed/org.apache.karaf.specs.locator-" + karafVersion + ".jar"),
                new VMOption("--patch-module"),
                new VMOption("java.xml=lib/endorsed/org.apache.karaf.specs.java.xml-" + karafVersion + ".jar"),
                new VMOption("--add-opens"), new VMOption("java.base/java.security=ALL-UNNAMED"),
                new VMOption("--add-opens"), new VMOption("java.base/java.net=ALL-UNNAMED"),
                new VMOption("--add-opens"), new VMOption("java.base/java.lang=ALL-UNNAMED"),
                new VMOption("--add-opens"), new VMOption("java.base/java.util=ALL-UNNAMED"),
                new VMOption("--add-opens"), new VMOption("java.naming/javax.naming.spi=ALL-UNNAMED"),
                new VMOption("--add-opens"), new VMOption("java.rmi/sun.rmi.transport.tcp=ALL-UNNAMED"),
                new VMOption("--add-exports=java.base/sun.net.www.protocol.file=ALL-UNNAMED"),
                new VMOption("--add-exports=java.base/sun.net.www.protocol.ftp=ALL-UNNAMED"),
                new VMOption("--add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED"),
                new VMOption("--add-exports=java.base/sun.net.www.protocol.https=ALL-UNNAMED"),
                new VMOption("--add-exports=java.base/sun.net.www.protocol.jar=ALL-UNNAMED"),
                new VMOption("--add-exports=java.base/sun.net.www.content.text=ALL-UNNAMED"),
                new VMOption("--add-exports=jdk.naming.rmi/com.sun.jndi.url.rmi=ALL-UNNAMED"),
                new VMOption("--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED"),
                new VMOption("-classpath"),
                new VMOption("lib/jdk9plus/*" + File.pathSeparator + "lib/boot/*"
                        + File.pathSeparator + "lib/endorsed/*")));

        // Pass the test JVM's virtbackup.* properties (the scratch directory among them) into Karaf.
        System.getProperties().stringPropertyNames().stream()
                .filter(k -> k.startsWith("virtbackup.") && !k.equals(ITEST_DIR))
                .forEach(k -> options.add(systemProperty(k).value(System.getProperty(k))));
        options.add(systemProperty(ITEST_DIR).value(itestDir));
        return options.toArray(new Option[0]);
    }

    /** Gogo's API packages carry a mandatory attribute: import them explicitly, the rest dynamically. */
    @ProbeBuilder
    public TestProbeBuilder probeConfiguration(TestProbeBuilder probe) {
        probe.setHeader(Constants.DYNAMICIMPORT_PACKAGE, "*,org.apache.felix.service.*;status=provisional");
        return probe;
    }

    /** Waits until Karaf has installed the boot features, ours included. */
    @Before
    public void awaitBoot() {
        service(BootFinished.class, BOOT_TIMEOUT_MS);
    }

    /** The scratch directory of the tests, inside the container. */
    protected Path itestDir() {
        return Path.of(requiredProperty(ITEST_DIR));
    }

    /**
     * Waits for a service and returns it.
     *
     * @throws AssertionError if no service of the type is registered within the timeout
     */
    protected <T> T service(Class<T> type, long timeoutMs) {
        ServiceTracker<T, T> tracker = new ServiceTracker<>(bundleContext, type, null);
        tracker.open(true);
        try {
            T service = tracker.waitForService(timeoutMs);
            if (service == null) {
                fail("no " + type.getName() + " service registered within " + timeoutMs + " ms; bundles:\n"
                        + describeBundles());
            }
            // The tracker stays open: closing it would unget the service while the test uses it.
            return service;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + type.getName(), e);
        }
    }

    /** The installed bundle with this symbolic name (highest version if several). */
    protected Bundle bundle(String symbolicName) {
        Bundle found = null;
        for (Bundle b : bundleContext.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())
                    && (found == null || b.getVersion().compareTo(found.getVersion()) > 0)) {
                found = b;
            }
        }
        if (found == null) {
            fail("no bundle " + symbolicName + " installed; bundles:\n" + describeBundles());
        }
        return found;
    }

    /**
     * Runs a Karaf shell command as an administrator and returns what it printed (and its result, if
     * any). Waits for the command to be registered first, as commands appear asynchronously.
     *
     * @throws AssertionError if the command is not registered, fails or times out
     */
    protected String executeCommand(String command) {
        return executeCommandAs(command, ADMIN_ROLES);
    }

    /** {@link #executeCommand} as a user holding only these roles. */
    protected String executeCommandAs(String command, String... roles) {
        SessionFactory sessionFactory = service(SessionFactory.class, SERVICE_TIMEOUT_MS);
        awaitCommand(sessionFactory, command);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Subject subject = subject(roles);
        Future<String> result = executor.submit(() -> Subject.doAs(subject, (PrivilegedExceptionAction<String>) () -> {
            try (Session session = sessionFactory.create(new ByteArrayInputStream(new byte[0]), out, out)) {
                Object value = session.execute(command);
                if (value != null) {
                    session.getConsole().println(value);
                }
                out.flush();
                return bytes.toString(StandardCharsets.UTF_8);
            }
        }));
        try {
            return result.get(COMMAND_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            result.cancel(true);
            throw new AssertionError("command '" + command + "' did not finish within " + COMMAND_TIMEOUT_MS
                    + " ms; output so far:\n" + bytes.toString(StandardCharsets.UTF_8), e);
        } catch (ExecutionException e) {
            throw new AssertionError("command '" + command + "' failed: " + e.getCause() + "\noutput:\n"
                    + bytes.toString(StandardCharsets.UTF_8), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running '" + command + "'", e);
        }
    }

    /**
     * What the shell offers when the operator presses Tab at the end of {@code line} (as the
     * console does: the command's own completer over the whole line), each candidate stripped.
     */
    protected List<String> complete(String line) {
        SessionFactory sessionFactory = service(SessionFactory.class, SERVICE_TIMEOUT_MS);
        awaitCommand(sessionFactory, line);
        String first = line.trim().split("\\s+", 2)[0];
        org.apache.karaf.shell.api.console.Command command = sessionFactory.getRegistry()
                .getCommand(first.substring(0, first.indexOf(':')), first.substring(first.indexOf(':') + 1));
        List<String> args = new ArrayList<>(List.of(line.trim().split("\\s+")));
        if (line.endsWith(" ")) {
            args.add(""); // the cursor is on a new, empty argument
        }
        String current = args.get(args.size() - 1);
        org.apache.karaf.shell.api.console.CommandLine commandLine = new org.apache.karaf.shell.api.console.CommandLine() {
            @Override
            public int getCursorArgumentIndex() {
                return args.size() - 1;
            }

            @Override
            public String getCursorArgument() {
                return current;
            }

            @Override
            public int getArgumentPosition() {
                return current.length();
            }

            @Override
            public String[] getArguments() {
                return args.toArray(new String[0]);
            }

            @Override
            public int getBufferPosition() {
                return line.length();
            }

            @Override
            public String getBuffer() {
                return line;
            }
        };
        List<String> candidates = new ArrayList<>();
        try (Session session = sessionFactory.create(new ByteArrayInputStream(new byte[0]), System.out, System.err)) {
            command.getCompleter(true).complete(session, commandLine, candidates);
        }
        return candidates.stream().map(String::strip).toList();
    }

    private void awaitCommand(SessionFactory sessionFactory, String command) {
        String first = command.trim().split("\\s+", 2)[0];
        int colon = first.indexOf(':');
        String scope = colon > 0 ? first.substring(0, colon) : "*";
        String name = colon > 0 ? first.substring(colon + 1) : first;
        long deadline = System.currentTimeMillis() + SERVICE_TIMEOUT_MS;
        while (sessionFactory.getRegistry().getCommand(scope, name) == null) {
            if (System.currentTimeMillis() > deadline) {
                fail("command " + first + " is not registered after " + SERVICE_TIMEOUT_MS + " ms");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for command " + first, e);
            }
        }
    }

    private String describeBundles() {
        StringBuilder sb = new StringBuilder();
        for (Bundle b : bundleContext.getBundles()) {
            sb.append(String.format("  %3d %-11s %s/%s%n", b.getBundleId(), state(b), b.getSymbolicName(),
                    b.getVersion()));
        }
        return sb.toString();
    }

    protected static String state(Bundle bundle) {
        return switch (bundle.getState()) {
            case Bundle.UNINSTALLED -> "UNINSTALLED";
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.ACTIVE -> "ACTIVE";
            default -> "state " + bundle.getState();
        };
    }

    /** A file of the distribution's etc/, from the source tree, in place of the stock Karaf's. */
    private static Option distributionFile(String path) {
        return replaceConfigurationFile(path, Path.of("..", "distribution", "src", "main", "resources").resolve(path).toFile());
    }

    /** A file of the assembled distribution (written by its build from the feature, which the reactor builds first). */
    private static Option assembledFile(String path) {
        Path file = Path.of("..", "distribution", "target", "assembly").resolve(path);
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException(file.toAbsolutePath() + " is missing: build the distribution first"
                    + " (mvn install -pl distribution -am -DskipTests)");
        }
        return replaceConfigurationFile(path, file.toFile());
    }

    /**
     * The ACL configurations our feature declares (its {@code <config>} elements for Karaf's service
     * and command guards), read from the feature's source: every one of them is booted from etc/.
     */
    private static List<String> featureAcls() {
        Path feature = Path.of("..", "features", "src", "main", "feature", "feature.xml");
        List<String> pids = new ArrayList<>();
        try {
            javax.xml.parsers.DocumentBuilderFactory f = javax.xml.parsers.DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            org.w3c.dom.NodeList configs = f.newDocumentBuilder().parse(feature.toFile())
                    .getElementsByTagNameNS("*", "config");
            for (int i = 0; i < configs.getLength(); i++) {
                String pid = ((org.w3c.dom.Element) configs.item(i)).getAttribute("name");
                if (pid.startsWith("org.apache.karaf.service.acl.") || pid.startsWith("org.apache.karaf.command.acl.")) {
                    pids.add(pid);
                }
            }
        } catch (IOException | javax.xml.parsers.ParserConfigurationException | org.xml.sax.SAXException e) {
            throw new IllegalStateException("cannot read " + feature.toAbsolutePath() + ": " + e, e);
        }
        if (pids.isEmpty()) {
            throw new IllegalStateException(feature.toAbsolutePath() + " declares no ACL configuration");
        }
        return pids;
    }

    /** A property of the distribution's etc/system.properties (read in the test JVM, from the source tree). */
    private static String distributionProperty(String key) {
        Path file = Path.of("..", "distribution", "src", "main", "resources", "etc", "system.properties");
        Properties properties = new Properties();
        try (var in = Files.newBufferedReader(file)) {
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file.toAbsolutePath(), e);
        }
        String value = properties.getProperty(key);
        if (value == null) {
            throw new IllegalStateException(file.toAbsolutePath() + " sets no " + key);
        }
        return value;
    }

    private static String requiredProperty(String key) {
        String value = System.getProperty(key);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + key + " is not set (the failsafe configuration"
                    + " of the itests module sets it)");
        }
        return value;
    }

    private static String freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return Integer.toString(socket.getLocalPort());
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }
}
