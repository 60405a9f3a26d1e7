package org.virtbackup.itests.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A throw-away certificate authority with a server certificate for QEMU's NBD server and a
 * client certificate for libnbd, made with openssl. QEMU reads {@code ca-cert.pem},
 * {@code server-cert.pem} and {@code server-key.pem} from libvirt's
 * {@code backup_tls_x509_cert_dir}; libnbd reads {@code ca-cert.pem}, {@code client-cert.pem}
 * and {@code client-key.pem} from its {@code tls-certificates} directory.
 */
public final class TestCa {

    private final Path dir;

    private TestCa(Path dir) {
        this.dir = dir;
    }

    /** Creates the CA, and server and client certificates for 127.0.0.1, in {@code dir}. */
    public static TestCa create(Path dir) throws Exception {
        Files.createDirectories(dir);
        TestCa ca = new TestCa(dir);
        ca.openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=virt-backup test CA",
                "-keyout", "ca-key.pem", "-out", "ca-cert.pem",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        ca.issue("server", "serverAuth");
        ca.issue("client", "clientAuth");
        return ca;
    }

    private void issue(String who, String purpose) throws Exception {
        Path ext = Files.writeString(dir.resolve(who + ".ext"), "basicConstraints=critical,CA:FALSE\n"
                + "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=" + purpose + "\n"
                + "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", who + "-key.pem",
                "-out", who + ".csr");
        openssl("x509", "-req", "-in", who + ".csr", "-CA", "ca-cert.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                "-days", "2", "-extfile", ext.toString(), "-out", who + "-cert.pem");
    }

    /**
     * Puts the server's files where QEMU reads them: root's, readable by QEMU's group
     * (libvirt-qemu) and nobody else, as libvirt's TLS documentation asks of the key.
     */
    public void installServer(Path qemuDir) throws Exception {
        Files.createDirectories(qemuDir);
        for (String f : new String[] {"ca-cert.pem", "server-cert.pem", "server-key.pem"}) {
            Path installed = Files.copy(dir.resolve(f), qemuDir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            Cmd.ok("chgrp", "libvirt-qemu", installed.toString());
            Cmd.ok("chmod", "0640", installed.toString());
        }
    }

    /** A libnbd certificate directory: with the client's certificate, or with the CA only. */
    public Path clientDir(boolean withCertificate) throws Exception {
        Path client = Files.createDirectories(dir.resolve(withCertificate ? "client" : "anonymous"));
        Files.copy(dir.resolve("ca-cert.pem"), client.resolve("ca-cert.pem"), StandardCopyOption.REPLACE_EXISTING);
        if (withCertificate) {
            Files.copy(dir.resolve("client-cert.pem"), client.resolve("client-cert.pem"),
                    StandardCopyOption.REPLACE_EXISTING);
            Files.copy(dir.resolve("client-key.pem"), client.resolve("client-key.pem"),
                    StandardCopyOption.REPLACE_EXISTING);
        }
        return client;
    }

    private void openssl(String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "openssl";
        System.arraycopy(args, 0, cmd, 1, args.length);
        Cmd.okIn(dir.toFile(), cmd);
    }
}
