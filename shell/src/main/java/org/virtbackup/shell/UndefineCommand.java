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
import org.virtbackup.api.UndefineFlag;

@Service
@Command(scope = "backup", name = "undefine", description = "Undefines a domain in libvirt; refused while it has managed "
        + "backups unless told what becomes of them")
public class UndefineCommand implements Action {

    @Reference
    BackupService service;

    @Argument(index = 0, name = "domain", description = "Domain name or UUID", required = true)
    @Completion(DomainCompleter.class)
    String domain;

    @Option(name = "--with-backups", description = "Also delete the domain's backups and checkpoints")
    boolean withBackups;

    @Option(name = "--keep-backups", description = "Keep the backups: they still restore to a new domain")
    boolean keepBackups;

    @Override
    public Object execute() {
        int count = service.list(domain, Set.of()).size();
        service.undefineDomain(domain, Flags.of(UndefineFlag.class).with(withBackups, UndefineFlag.BACKUPS)
                .with(keepBackups, UndefineFlag.KEEP_BACKUPS).set());
        System.out.println("Domain " + domain + " undefined; " + count + " backups "
                + (withBackups ? "deleted" : "kept"));
        return null;
    }
}
