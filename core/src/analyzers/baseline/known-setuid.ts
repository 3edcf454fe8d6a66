/**
 * setuid/setgid binaries that distributions ship on purpose. Paths are in merged-/usr form; `/bin`,
 * `/sbin` and `/lib` paths are mapped onto `/usr` before lookup.
 *
 * The first block is exactly what `find rootfs -perm /6000` lists on a debootstrap'd Debian 12 minbase
 * rootfs (the test image; a test keeps this in sync). The rest are the standard setuid/setgid files of
 * common Debian/Ubuntu, Alpine and RHEL-family packages (openssh, sudo, util-linux, dbus, polkit, fuse,
 * uidmap, cron, at, iputils, busybox-suid).
 */
export const KNOWN_SETUID_PATHS: readonly string[] = [
  // Debian 12 minbase (login, passwd, mount, util-linux, libpam-modules-bin)
  '/usr/bin/chage',
  '/usr/bin/chfn',
  '/usr/bin/chsh',
  '/usr/bin/expiry',
  '/usr/bin/gpasswd',
  '/usr/bin/mount',
  '/usr/bin/newgrp',
  '/usr/bin/passwd',
  '/usr/bin/su',
  '/usr/bin/umount',
  '/usr/sbin/unix_chkpwd',
  // other standard packages
  '/usr/bin/sudo',
  '/usr/bin/sudoedit',
  '/usr/bin/pkexec',
  '/usr/bin/crontab',
  '/usr/bin/at',
  '/usr/bin/wall',
  '/usr/bin/write',
  '/usr/bin/write.ul',
  '/usr/bin/bsd-write',
  '/usr/bin/dotlockfile',
  '/usr/bin/ssh-agent',
  '/usr/bin/fusermount',
  '/usr/bin/fusermount3',
  '/usr/bin/newuidmap',
  '/usr/bin/newgidmap',
  '/usr/bin/ping',
  '/usr/bin/ping6',
  '/usr/bin/traceroute6.iputils',
  '/usr/bin/mlocate',
  '/usr/bin/plocate',
  '/usr/bin/bbsuid',
  '/usr/sbin/pam_extrausers_chkpwd',
  '/usr/sbin/pam_timestamp_check',
  '/usr/sbin/userhelper',
  '/usr/lib/openssh/ssh-keysign',
  '/usr/libexec/openssh/ssh-keysign',
  '/usr/lib/dbus-1.0/dbus-daemon-launch-helper',
  '/usr/libexec/dbus-1/dbus-daemon-launch-helper',
  '/usr/lib/policykit-1/polkit-agent-helper-1',
  '/usr/lib/polkit-1/polkit-agent-helper-1',
  '/usr/libexec/polkit-agent-helper-1',
  '/usr/lib/eject/dmcrypt-get-device',
  '/usr/libexec/utempter/utempter',
];

/** Architecture-specific library paths (`/usr/lib/x86_64-linux-gnu/utempter/utempter`). */
const KNOWN_PATTERNS: readonly RegExp[] = [/^\/usr\/lib\/[^/]+-linux-gnu[^/]*\/utempter\/utempter$/];

const KNOWN = new Set(KNOWN_SETUID_PATHS);

/** Maps `/bin/x`, `/sbin/x`, `/lib/x` to their merged-/usr paths. */
export function toMergedUsrPath(path: string): string {
  return path.replace(/^\/(bin|sbin|lib|lib64)\//, '/usr/$1/');
}

/** True when a setuid/setgid file at this path is one a distribution ships on purpose. */
export function isKnownSetuidPath(path: string): boolean {
  const p = toMergedUsrPath(path);
  return KNOWN.has(p) || KNOWN_PATTERNS.some((re) => re.test(p));
}
