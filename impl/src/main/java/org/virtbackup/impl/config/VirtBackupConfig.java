package org.virtbackup.impl.config;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

/**
 * Configuration of every virt-backup component, PID {@value #PID} ({@code etc/org.virtbackup.cfg}).
 * {@code ${karaf.data}} in a path stands for Karaf's data directory.
 */
@ObjectClassDefinition(id = VirtBackupConfig.PID, name = "virt-backup",
        description = "Backups of libvirt/QEMU domains")
public @interface VirtBackupConfig {

    String PID = "org.virtbackup";

    @AttributeDefinition(name = "libvirt URI", description = "Connection URI of the libvirt daemon")
    String libvirt_uri() default "qemu:///system";

    @AttributeDefinition(name = "Default target directory",
            description = "Where backups go when nothing else is said; created 0700")
    String target_directory() default "${karaf.data}/virt-backup";

    @AttributeDefinition(name = "Target roots",
            description = "Comma-separated directories a domain's own default target directory (setDefaultTarget) "
                    + "may lie in; target.directory is always allowed")
    String target_roots() default "${karaf.data}/virt-backup-targets,/var/lib/virt-backup";

    @AttributeDefinition(name = "Runtime directory",
            description = "Private directory (0700) for the NBD sockets of running jobs; keep the path short (unix sockets allow 107 bytes)")
    String runtime_directory() default "/run/virt-backup";

    @AttributeDefinition(name = "Scratch directory",
            description = "Where QEMU keeps copy-before-write data of running pull-mode jobs")
    String scratch_directory() default "${karaf.data}/virt-backup-scratch";

    @AttributeDefinition(name = "Scratch reserve (percent)",
            description = "An export of a running domain (a full managed backup is one) is refused unless the scratch "
                    + "directory has this share of what its disks hold free: 100 is the worst case, every block "
                    + "overwritten during the backup; 0 checks nothing")
    int scratch_reserve_percent() default 100;

    @AttributeDefinition(name = "Restore roots",
            description = "Comma-separated directories restored images may be written to (and rewritten in); "
                    + "nothing outside them. The first is where a new domain's images go by default")
    String restore_roots() default "${karaf.data}/virt-backup-restore,/var/lib/libvirt/images";

    @AttributeDefinition(name = "swtpm state directory",
            description = "Where libvirt keeps emulated TPMs' state, by domain UUID (its swtpm storage); a backup "
                    + "copies a domain's, a restore writes a restored domain's")
    String firmware_tpm_directory() default "/var/lib/libvirt/swtpm";

    @AttributeDefinition(name = "qemu-img", description = "Path of the qemu-img program")
    String qemu_img() default "qemu-img";

    @AttributeDefinition(name = "qemu-storage-daemon",
            description = "Path of the qemu-storage-daemon program (incremental backups of shut-off domains)")
    String qemu_storage_daemon() default "qemu-storage-daemon";

    @AttributeDefinition(name = "qemu-nbd",
            description = "Path of the qemu-nbd program (exports a shut-off domain's images to a repository backup, "
                    + "and the images a repository restore writes)")
    String qemu_nbd() default "qemu-nbd";

    @AttributeDefinition(name = "Parallel requests",
            description = "In-flight coroutines of qemu-img convert per disk (-m); 8 measured best here")
    int copy_parallelism() default 8;

    @AttributeDefinition(name = "Stall limit (seconds)",
            description = "A qemu-img or qemu-storage-daemon that reads and writes nothing this long (or leaves a "
                    + "command unanswered) is taken for hung: it is killed and its job fails")
    long process_stall_seconds() default 600;

    @AttributeDefinition(name = "NBD transport",
            description = "How unmanaged exports listen unless a request says otherwise: unix (a private socket "
                    + "in the runtime directory) or tcp (nbd.tcp.address, a port of nbd.tcp.ports)",
            options = {@Option(label = "unix socket", value = "unix"), @Option(label = "TCP", value = "tcp")})
    String nbd_transport() default "unix";

    @AttributeDefinition(name = "NBD TCP address", description = "Address TCP exports listen on unless a request names one")
    String nbd_tcp_address() default "127.0.0.1";

    @AttributeDefinition(name = "NBD TCP ports",
            description = "Range FIRST-LAST of the ports TCP exports may use; each export takes the first free one")
    String nbd_tcp_ports() default "10809-10849";

    @AttributeDefinition(name = "NBD TLS",
            description = "Require TLS with client certificates on every TCP export (libvirt's backup_tls_x509_cert_dir "
                    + "in qemu.conf holds the server's certificates and CA)")
    boolean nbd_tls() default false;

    @AttributeDefinition(name = "NBD TCP plaintext",
            description = "Allow TCP exports without TLS on addresses other than loopback. Off: such an export is "
                    + "refused unless it uses TLS, as anyone who reaches the port could read the disk")
    boolean nbd_tcp_plaintext() default false;

    @AttributeDefinition(name = "XML size limit (bytes)",
            description = "XML documents handed to the service (backup, restore, target) larger than this are "
                    + "refused before they are read")
    long xml_max_bytes() default 1048576;

    @AttributeDefinition(name = "Lock wait (seconds)",
            description = "How long an operation waits for another that holds the same domain (a delete, merge, "
                    + "undefine or restore over its disks holds it alone; starts take turns) before it is refused as "
                    + "DOMAIN_BUSY naming what holds it")
    long lock_wait_seconds() default 30;

    @AttributeDefinition(name = "Export expiry (seconds)",
            description = "An unmanaged export still open this long after it started is ended and recorded as "
                    + "expired, its checkpoint dropped; 0: never")
    long export_expiry_seconds() default 86400;

    @AttributeDefinition(name = "Repository URL",
            description = "A repository (file:///DIR, the directory inside the target roots, or s3://BUCKET/PREFIX on "
                    + "a configured S3 endpoint) that every domain without a target of its own backs up into; empty: the "
                    + "default target directory")
    String repository_url() default "";

    @AttributeDefinition(name = "Repository key file",
            description = "A file of 64 hex digits (openssl rand -hex 32), readable by its owner only: repositories "
                    + "made while it is set are encrypted with it (AES-256-GCM), and it opens them; empty: no encryption")
    String repository_key_file() default "";

    @AttributeDefinition(name = "Repository chunk size (bytes)",
            description = "Chunk size of repositories made from now on, a power of two from 65536 to 16777216; "
                    + "an existing repository keeps its own")
    int repository_chunk_size() default 1048576;

    @AttributeDefinition(name = "Repository streams",
            description = "Chunks read, compressed, encrypted and written at once by a repository backup, restore "
                    + "or verification (one NBD connection each)")
    int repository_streams() default 8;

    @AttributeDefinition(name = "Collect after delete",
            description = "Collect a repository's unreferenced chunks right after a backup in it is deleted")
    boolean repository_collect_after_delete() default false;

    @AttributeDefinition(name = "Repository lease (seconds)",
            description = "Processes sharing a repository (Karafs on several hosts) hold leases on it, rewritten every "
                    + "quarter of this time: a host that dies blocks the others' collections this long at most "
                    + "(docs/repository-format.md, Sharing a repository); 4 or more")
    int repository_lease_seconds() default 120;

    @AttributeDefinition(name = "Repository wait (seconds)",
            description = "How long a collection waits for other hosts' backups into the repository to end, and a "
                    + "backup for another host's collection, before giving up")
    int repository_wait_seconds() default 600;

    @AttributeDefinition(name = "Repository refresh (seconds)",
            description = "How often the repositories in use are listed again, so that the backups other hosts sharing "
                    + "them completed or deleted appear or go here (backup:refresh does it at once); 0: never")
    int repository_refresh_seconds() default 60;

    @AttributeDefinition(name = "Policy state directory",
            description = "Where each policy's last run, the run in progress and its verifications are kept (0700), so "
                    + "that a restart neither loses a run nor repeats one")
    String policy_directory() default "${karaf.data}/virt-backup-policies";
}
