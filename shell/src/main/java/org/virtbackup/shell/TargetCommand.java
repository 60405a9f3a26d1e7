package org.virtbackup.shell;

import java.util.Set;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.BackupTarget;
import org.virtbackup.api.ModifyFlag;

@Service
@Command(scope = "backup", name = "target", description = "Shows or sets where a domain's backups go")
public class TargetCommand implements Action {

    @Reference
    BackupService service;

    @Argument(index = 0, name = "domain", description = "Domain name or UUID", required = true)
    @Completion(DomainCompleter.class)
    String domain;

    @Argument(index = 1, name = "path", description = "Directory (inside target.roots) for the domain's backups")
    String path;

    @Option(name = "--pool", description = "An active libvirt storage pool of files (dir, fs, netfs): images become its volumes")
    String pool;

    @Option(name = "--repository", description = "A repository (file:///DIR inside target.roots, or s3://BUCKET/PREFIX): deduplicated, "
            + "compressed and, with repository.key.file set, encrypted")
    String repository;

    @Option(name = "--kind", description = "A StorageTarget service of this kind, registered by another bundle")
    String kind;

    @Option(name = "--xml", description = "File holding a <target> (instead of PATH, --pool or --kind)")
    String xmlFile;

    @Option(name = "--clear", description = "Back to the global target (target.directory)")
    boolean clear;

    @Option(name = "--check", description = "Check the target (writable, inside the roots, room for a full backup) only")
    boolean check;

    @Override
    public Object execute() throws Exception {
        if (path != null && path.startsWith("-")) {
            // Karaf reads options before the arguments only: "web01 --clear" gives "--clear" as PATH.
            throw new IllegalArgumentException("options go before DOMAIN: backup:target " + path + " ... " + domain);
        }
        if ((path != null ? 1 : 0) + (pool != null ? 1 : 0) + (kind != null ? 1 : 0) + (xmlFile != null ? 1 : 0)
                + (repository != null ? 1 : 0) + (clear ? 1 : 0) > 1) {
            throw new IllegalArgumentException("give one of PATH, --pool NAME, --repository URL, --kind KIND, --xml FILE, --clear");
        }
        if (check && path == null && pool == null && kind == null && xmlFile == null && repository == null && !clear) {
            throw new IllegalArgumentException("--check checks the target given with it: give PATH, --pool, --repository, "
                    + "--kind or --xml");
        }
        Set<ModifyFlag> flags = Flags.of(ModifyFlag.class).with(check, ModifyFlag.VALIDATE_ONLY).set();
        if (xmlFile != null) {
            service.setDefaultTarget(domain, XmlFiles.read(xmlFile), flags);
        } else if (clear || path != null || pool != null || kind != null || repository != null) {
            BackupTarget target = clear ? BackupTarget.global() : path != null ? BackupTarget.directory(path)
                    : pool != null ? BackupTarget.pool(pool) : repository != null ? BackupTarget.repository(repository)
                    : BackupTarget.service(kind);
            service.setDefaultTarget(domain, target, flags);
        }
        if (check) {
            System.out.println("ok");
        } else {
            System.out.println(service.getDefaultTarget(domain).orElse("global target (target.directory)"));
        }
        return null;
    }
}
