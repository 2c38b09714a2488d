"""Throw-away Linux network namespaces for end-to-end tests (TESTING.md §1-§3).

`Lab` is what the `netns` fixture yields: calling it creates a namespace (lo up, IPv4
forwarding off, no default route, its own /etc/netns/NAME/{resolv.conf,hosts}), and
`lab.link(a, b, ...)` joins two namespaces with a veth pair created directly inside them,
with fixed locally administered MACs and documentation-range addresses only (any other
address raises ValueError; IPv6 addresses get `nodad`).  `Namespace.run`/`popen` execute
through `ip netns exec`; `Namespace.socket` creates a socket inside the namespace by
switching the current thread with setns(2) (TESTING.md §3 "In-process queries").

Teardown (`Lab.close`, also run by an atexit hook and on SIGTERM) stops the processes
started here by process group, kills whatever `ip netns pids` still lists, deletes the
namespaces and removes their /etc/netns directories.  Names are `lct-<pid36>-<n>[-role]`
so a sweep at session start can delete namespaces of dead test processes, and only those.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import ipaddress
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

from tests.support import find_tool

PREFIX = "lct"
ETC_NETNS = Path("/etc/netns")
RUN_NETNS = Path("/run/netns")
CLONE_NEWNET = 0x40000000
IFNAMSIZ = 15  # usable characters of an interface name (16 with the NUL)

DOC_NETWORKS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = (
    ipaddress.ip_network("192.0.2.0/24"),  # TEST-NET-1, RFC 5737
    ipaddress.ip_network("198.51.100.0/24"),  # TEST-NET-2, RFC 5737
    ipaddress.ip_network("203.0.113.0/24"),  # TEST-NET-3, RFC 5737
    ipaddress.ip_network("2001:db8::/32"),  # RFC 3849
)


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def _pid_tag(pid: int) -> str:
    # Linux pid_max is at most 2**22 = "2ipsw" in base 36: five characters always suffice.
    return _base36(pid).rjust(5, "0")


_NAME_RE = re.compile(rf"^{PREFIX}-([0-9a-z]{{5}})-[0-9a-z]+(?:-[a-z0-9]+)?$")
_ROLE_RE = re.compile(r"^[a-z0-9]{1,8}$")
_counter = itertools.count(1)
_live: set[str] = set()  # namespaces this process created and has not deleted yet
_live_procs: list[subprocess.Popen[Any]] = []
_hooks_installed = False
_hooks_lock = threading.Lock()


def check_doc_interface(
    cidr: str,
) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
    """Parse "addr/len"; raise ValueError unless the whole prefix is a documentation range."""
    iface = ipaddress.ip_interface(cidr)
    if "/" not in cidr:
        raise ValueError(f"{cidr!r}: give a prefix length (e.g. 192.0.2.1/24)")
    net = iface.network
    for doc in DOC_NETWORKS:
        same_family = net.version == doc.version  # `in` alone does not compare families
        if same_family and net.network_address in doc and net.broadcast_address in doc:
            return iface
    raise ValueError(
        f"{cidr!r} is outside the documentation ranges "
        "192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32"
    )


def check_local_mac(mac: str) -> str:
    """Return `mac` lowercased; raise ValueError unless it is a locally administered unicast."""
    if not re.fullmatch(r"(?:[0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}", mac):
        raise ValueError(f"{mac!r} is not a MAC address")
    first = int(mac[:2], 16)
    if not first & 0x02 or first & 0x01:
        raise ValueError(f"{mac!r} is not a locally administered unicast MAC (02:...)")
    return mac.lower()


class NetnsCommandError(subprocess.CalledProcessError):
    """A command failed; unlike CalledProcessError, str() shows its output."""

    def __str__(self) -> str:
        out = (self.stdout or "").strip()[-2000:]
        err = (self.stderr or "").strip()[-2000:]
        return f"{super().__str__()}\n--- stdout ---\n{out}\n--- stderr ---\n{err}"


def _ip(*args: str, check: bool = True, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    cmd = ["ip", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise NetnsCommandError(proc.returncode, cmd, proc.stdout, proc.stderr)
    return proc


def _setns(fd: int) -> None:
    setns = getattr(os, "setns", None)  # Python 3.12+
    if setns is not None:
        setns(fd, CLONE_NEWNET)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


@contextlib.contextmanager
def _thread_in_netns(name: str) -> Iterator[None]:
    """Move the current thread into namespace `name` for the block, then back.

    Only create sockets (or touch /proc/sys/net) inside: never fork, exec or start threads
    while switched.  A socket keeps the namespace it was created in.
    """
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open(RUN_NETNS / name, os.O_RDONLY)
        try:
            _setns(target)
        finally:
            os.close(target)
        try:
            yield
        finally:
            try:
                _setns(home)
            except OSError as exc:  # the thread would stay in a test namespace: unrecoverable
                os.write(2, f"FATAL: cannot leave netns {name}: {exc}\n".encode())
                os._exit(70)
    finally:
        os.close(home)


def _stop_process(proc: subprocess.Popen[Any], grace: float = 5.0) -> None:
    """TERM the process group we created, wait `grace` seconds, then KILL it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=grace)
    # Children that left the group but stay in the namespace are caught by _delete_netns.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def stop_process(proc: subprocess.Popen[Any]) -> None:
    """Stop a process a test started in a namespace (its process group), TERM then KILL."""
    _stop_process(proc)


def _delete_netns(name: str) -> None:
    """Kill what still runs in `name`, delete it and its /etc/netns directory."""
    for _ in range(3):
        pids = _ip("netns", "pids", name, check=False).stdout.split()
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)
        time.sleep(0.05)  # let the kernel reap them before `ip netns del`
    _ip("netns", "del", name, check=False)
    shutil.rmtree(ETC_NETNS / name, ignore_errors=True)
    _live.discard(name)


def cleanup_all() -> None:
    """Stop every process and namespace this test process still owns (atexit, SIGTERM)."""
    for proc in list(_live_procs):
        _stop_process(proc, grace=1.0)
    _live_procs.clear()
    for name in list(_live):
        _delete_netns(name)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    cleanup_all()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _install_exit_hooks() -> None:
    global _hooks_installed
    with _hooks_lock:
        if _hooks_installed:
            return
        _hooks_installed = True
        atexit.register(cleanup_all)
        is_main = threading.current_thread() is threading.main_thread()
        if is_main and signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, _on_sigterm)


def list_netns() -> list[str]:
    """Names of all namespaces known to `ip netns`."""
    out = _ip("netns", "list", check=False).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def sweep_stale() -> list[str]:
    """Delete leftover namespaces with our prefix whose creating process is gone.

    Namespaces of live processes (a concurrent test run) are never touched, nor any name
    without our prefix.  Returns the deleted names.
    """
    stale: list[str] = []
    candidates = set(list_netns())
    if ETC_NETNS.is_dir():
        candidates.update(p.name for p in ETC_NETNS.iterdir())
    for name in sorted(candidates):
        m = _NAME_RE.match(name)
        if m is None:
            continue
        pid = int(m.group(1), 36)
        if pid == os.getpid() or Path(f"/proc/{pid}").exists():
            continue
        _delete_netns(name)
        stale.append(name)
    return stale


_usable: str | bool | None = False  # False: not checked yet; None: usable; str: why not


def unusable_reason() -> str | None:
    """None when `ip netns` works here, else why not (checked once per process)."""
    global _usable
    if _usable is not False:
        return _usable  # type: ignore[return-value]
    reason: str | None = None
    if os.geteuid() != 0:
        reason = "network namespaces need root"
    elif find_tool("ip") is None:
        reason = "iproute2 (`ip`) is not installed"
    else:
        probe = f"{PREFIX}-{_pid_tag(os.getpid())}-0-probe"
        made = _ip("netns", "add", probe, check=False)
        if made.returncode != 0:
            reason = f"`ip netns add` does not work here: {made.stderr.strip()}"
        else:
            _ip("netns", "del", probe, check=False)
    _usable = reason
    return reason


@dataclass
class Namespace:
    """One network namespace; created by `Lab`, deleted by `Lab.close()`."""

    name: str
    lab: Lab = field(repr=False)

    @property
    def etc_dir(self) -> Path:
        """/etc/netns/NAME: files here replace /etc files under `ip netns exec`."""
        return ETC_NETNS / self.name

    def _argv(self, cmd: Sequence[str]) -> list[str]:
        return ["ip", "netns", "exec", self.name, *cmd]

    def run(
        self,
        cmd: Sequence[str],
        *,
        check: bool = True,
        timeout: float = 30.0,
        input: str | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run `cmd` inside the namespace; text output captured; bounded by `timeout`."""
        argv = self._argv(cmd)
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
            env=env,
            check=False,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
        if check and proc.returncode != 0:
            raise NetnsCommandError(proc.returncode, argv, proc.stdout, proc.stderr)
        return proc

    def popen(
        self,
        cmd: Sequence[str],
        *,
        stdout: int | IO[Any] | None = subprocess.DEVNULL,
        stderr: int | IO[Any] | None = subprocess.STDOUT,
        env: dict[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        text: bool = False,
    ) -> subprocess.Popen[Any]:
        """Start `cmd` in the namespace in its own session; stopped by teardown.

        `ip netns exec` execs rather than forks, so `.pid` is the command's PID and the
        leader of its process group (TESTING.md §2).
        """
        proc: subprocess.Popen[Any] = subprocess.Popen(
            self._argv(cmd),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            env=env,
            cwd=cwd,
            text=text,
            start_new_session=True,
        )
        self.lab.procs.append(proc)
        _live_procs.append(proc)
        return proc

    @contextlib.contextmanager
    def entered(self) -> Iterator[None]:
        """Run the block with this thread inside the namespace (sockets only; no fork/exec)."""
        with _thread_in_netns(self.name):
            yield

    def socket(
        self,
        family: int = socket.AF_INET,
        type: int = socket.SOCK_DGRAM,
        proto: int = 0,
    ) -> socket.socket:
        """A socket that lives in this namespace (the caller closes it)."""
        with self.entered():
            return socket.socket(family, type, proto)

    def sysctl(self, key: str, value: str | int) -> None:
        """Write a net.* sysctl of this namespace (/proc/sys/net follows the thread's netns)."""
        if not key.startswith("net."):
            raise ValueError(f"{key}: only net.* sysctls are per-namespace")
        path = Path("/proc/sys") / key.replace(".", "/")
        with self.entered():
            path.write_text(f"{value}\n")

    def read_sysctl(self, key: str) -> str:
        path = Path("/proc/sys") / key.replace(".", "/")
        with self.entered():
            return path.read_text().strip()

    def add_address(self, ifname: str, cidr: str) -> None:
        """Add a documentation-range address; IPv6 gets `nodad` so it is usable at once."""
        iface = check_doc_interface(cidr)
        extra = ["nodad"] if iface.version == 6 else []
        _ip("-n", self.name, "addr", "add", str(iface), "dev", ifname, *extra)

    def link_up(self, ifname: str) -> None:
        _ip("-n", self.name, "link", "set", ifname, "up")

    def set_mac(self, ifname: str, mac: str) -> None:
        _ip("-n", self.name, "link", "set", ifname, "address", check_local_mac(mac))

    def wait_ipv6_ready(self, ifname: str, timeout: float = 10.0) -> None:
        """Poll until `ifname` has a link-local address that is no longer tentative."""
        deadline = time.monotonic() + timeout
        out = ""
        while time.monotonic() < deadline:
            show = ("-n", self.name, "-6", "-o", "addr", "show", "dev", ifname, "scope", "link")
            out = _ip(*show).stdout
            if "fe80::" in out and "tentative" not in out:
                return
            time.sleep(0.1)
        raise TimeoutError(f"{self.name}/{ifname}: link-local address still tentative: {out!r}")


@dataclass(frozen=True, slots=True)
class Veth:
    """Both ends of a veth pair: (namespace, interface name, MAC) per side."""

    a: Namespace
    a_if: str
    a_mac: str
    b: Namespace
    b_if: str
    b_mac: str


class Lab:
    """The `netns` fixture: a factory of namespaces and links, torn down by `close()`."""

    def __init__(self) -> None:
        self.tag = _pid_tag(os.getpid())
        self.namespaces: list[Namespace] = []
        self.procs: list[subprocess.Popen[Any]] = []
        self._links = 0
        self._closed = False
        _install_exit_hooks()

    def __call__(self, role: str = "", *, nameservers: Sequence[str] = ()) -> Namespace:
        """Create a namespace: lo up, ip_forward=0, no default route, private resolv/hosts."""
        if self._closed:
            raise RuntimeError("this netns lab is already torn down")
        if role and not _ROLE_RE.match(role):
            raise ValueError(f"role {role!r}: 1-8 lowercase letters or digits")
        for server in nameservers:
            addr = ipaddress.ip_address(server)
            if not addr.is_loopback:
                check_doc_interface(f"{addr}/{addr.max_prefixlen}")
        name = f"{PREFIX}-{self.tag}-{_base36(next(_counter))}" + (f"-{role}" if role else "")
        # /etc/netns/NAME must exist before the first `ip netns exec`, or the host's files show.
        etc = ETC_NETNS / name
        etc.mkdir(parents=True, exist_ok=False)
        _live.add(name)  # from here on, teardown owns it (even if the steps below fail)
        ns = Namespace(name, self)
        self.namespaces.append(ns)
        lines = [f"# resolv.conf of test namespace {name} (lanctl tests)"]
        lines += [f"nameserver {s}" for s in nameservers]
        lines.append("options timeout:1 attempts:1")
        (etc / "resolv.conf").write_text("\n".join(lines) + "\n")
        (etc / "hosts").write_text("127.0.0.1\tlocalhost\n::1\tlocalhost\n")
        _ip("netns", "add", name)
        _ip("-n", name, "link", "set", "lo", "up")
        ns.sysctl("net.ipv4.ip_forward", 0)  # TESTING.md §1: never route between legs
        return ns

    def link(
        self,
        a: Namespace,
        b: Namespace,
        a_addrs: Sequence[str] = (),
        b_addrs: Sequence[str] = (),
        *,
        a_mac: str | None = None,
        b_mac: str | None = None,
    ) -> Veth:
        """Join `a` and `b` with a veth pair created in place, addressed and up.

        Default MACs are fixed per link and side: 02:00:00:00:<link>:01 / ...:02.
        """
        for cidr in (*a_addrs, *b_addrs):  # refuse before creating anything
            check_doc_interface(cidr)
        self._links += 1
        n = self._links
        if n > 0xFF:
            raise ValueError("at most 255 links per test")
        stem = f"{PREFIX}{self.tag}{_base36(next(_counter))}"
        a_if, b_if = f"{stem}a", f"{stem}b"
        assert len(a_if) <= IFNAMSIZ, a_if
        a_mac = check_local_mac(a_mac or f"02:00:00:00:{n:02x}:01")
        b_mac = check_local_mac(b_mac or f"02:00:00:00:{n:02x}:02")
        # Both ends are born inside their namespaces: nothing ever appears on the host.
        _ip(
            "link", "add", a_if, "netns", a.name, "type", "veth",
            "peer", "name", b_if, "netns", b.name,
        )  # fmt: skip
        for ns, ifname, mac, addrs in ((a, a_if, a_mac, a_addrs), (b, b_if, b_mac, b_addrs)):
            ns.set_mac(ifname, mac)
            for cidr in addrs:
                ns.add_address(ifname, cidr)
            ns.link_up(ifname)
        return Veth(a, a_if, a_mac, b, b_if, b_mac)

    def close(self) -> None:
        """Teardown in TESTING.md order: our processes, leftover PIDs, namespaces, /etc."""
        if self._closed:
            return
        self._closed = True
        errors: list[BaseException] = []
        for proc in self.procs:
            try:
                _stop_process(proc)
            except BaseException as exc:  # keep tearing down; report afterwards
                errors.append(exc)
            with contextlib.suppress(ValueError):
                _live_procs.remove(proc)
        for ns in self.namespaces:
            try:
                _delete_netns(ns.name)
            except BaseException as exc:
                errors.append(exc)
        if errors:
            raise errors[0]
