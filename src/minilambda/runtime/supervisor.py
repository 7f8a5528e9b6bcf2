"""Process supervision for one Cloud: how environments start, how they end, and what outlives nothing.

A :class:`Supervisor` belongs to the Cloud (or to a lone environment) that uses it; there is no
module-level state. It owns:

* the **fork server** (``forkserver.py serve``): a pre-started, stdlib-only interpreter that forks
  one environment init per environment (``mode="fork"``, the default), or, for comparison, the
  **spawn path** (``mode="spawn"``: a fresh interpreter per environment, the same setup code);
* one **cgroup v2** per environment (where the unified hierarchy is writable): ``cgroup.kill``
  ends every descendant at once, however it detached (``setsid``, double fork);
* the **guardian**: a tiny process in its own session that, when this interpreter dies however it
  dies (even SIGKILL), kills what is left, unmounts the environments' ``/tmp`` and removes the
  Cloud's work folder.

Without cgroups, each environment init is a child subreaper that kills every orphan of its
runtime, and the fork server (also a subreaper) kills whatever an environment init leaves behind.
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass

FORKSERVER_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "forkserver.py")
MS_NOSUID, MS_NODEV, MNT_DETACH = 2, 4, 2
MAX_TASKS = 1024  # AWS: 1,024 processes or threads per environment
LAUNCH_TIMEOUT = 10.0  # seconds to wait for an environment init to fork its runtime

_GUARDIAN_CODE = r"""
import os, signal, sys, shutil
cgroup_root, workdir, memcg_root, pids_root = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
signal.signal(signal.SIGINT, signal.SIG_IGN)
groups, mounts = set(), set()
for line in sys.stdin:
    op, arg = line[0], line[1:].rstrip("\n")
    if op in "+-":
        (groups.add if op == "+" else groups.discard)(int(arg))
    else:
        (mounts.add if op == "m" else mounts.discard)(arg)
for pgid in groups:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass
def cgroups(root):
    for path, dirs, _ in os.walk(root, topdown=False):
        yield path
if cgroup_root and os.path.isdir(cgroup_root):
    try:
        with open(os.path.join(cgroup_root, "cgroup.kill"), "w") as f:
            f.write("1")
    except OSError:
        pass
for _ in range(100 if memcg_root else 0):
    pids = []
    for path, _, files in os.walk(memcg_root):
        try:
            with open(os.path.join(path, "cgroup.procs")) as f:
                pids += [int(p) for p in f.read().split()]
        except OSError:
            pass
    if not pids:
        break
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
if mounts:
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    for point in mounts:
        libc.umount2(point.encode(), 2)
if workdir:
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    real = os.path.realpath(workdir)
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    for point in sorted(points, reverse=True):
        if point == real or point.startswith(real + "/"):
            libc.umount2(point.encode(), 2)
    shutil.rmtree(workdir, ignore_errors=True)
import time
for root in (cgroup_root, memcg_root, pids_root):
    for _ in range(200 if root else 0):
        for path in cgroups(root):
            try:
                os.rmdir(path)
            except OSError:
                pass
        if not os.path.isdir(root):
            break
        time.sleep(0.01)
"""


@dataclass(frozen=True, slots=True)
class Launched:
    """A started environment: its runtime, its init, and the pipe the init reports on."""

    pid: int  # the runtime process
    init_pid: int  # the environment init (parent of the runtime, child subreaper)
    report_fd: int  # readable end: "exit <code> <max rss kB>" then EOF when the init is gone
    cgroup: str | None  # this environment's cgroup v2 folder, if any
    lifeline_fd: int = -1  # spawn path: closing it tells the init to end the environment
    memcg: str | None = None  # this environment's cgroup v1 memory folder, if any
    pidscg: str | None = None  # this environment's cgroup v1 pids folder (1,024 tasks), if any


def find_v1_root(controller: str = "memory", marker: str = "memory.limit_in_bytes") -> str | None:
    """This process's cgroup v1 folder of *controller*, if mounted and writable."""
    try:
        with open("/proc/self/mountinfo") as f:
            mounts = [line.split() for line in f]
        with open("/proc/self/cgroup") as f:
            own = next((line.strip().split(":", 2)[2] for line in f
                        if controller in line.split(":")[1].split(",")), None)
    except (OSError, IndexError):
        return None
    for fields in mounts:
        sep = fields.index("-")
        if fields[sep + 1] == "cgroup" and controller in fields[sep + 3].split(",") and own is not None:
            path = os.path.join(fields[4], own.lstrip("/"))
            if os.path.exists(os.path.join(path, "cgroup.procs")) and os.access(path, os.W_OK):
                return path  # (*marker* is checked in the folder made under it: roots may lack it)
    return None


def find_memcg_root() -> str | None:
    """This process's cgroup v1 memory-controller folder, if mounted and writable."""
    return find_v1_root("memory", "memory.limit_in_bytes")


def find_cgroup_root() -> str | None:
    """This process's cgroup v2 folder, if the unified hierarchy is mounted and has cgroup.kill."""
    try:
        with open("/proc/self/mountinfo") as f:
            mounts = [line.split() for line in f]
        with open("/proc/self/cgroup") as f:
            own = next((line.strip()[3:] for line in f if line.startswith("0::")), None)
    except OSError:
        return None
    for fields in mounts:
        sep = fields.index("-")
        if fields[sep + 1] == "cgroup2" and own is not None:
            path = os.path.join(fields[4], own.lstrip("/"))
            if os.path.exists(os.path.join(path, "cgroup.procs")) and os.access(path, os.W_OK):
                return path
    return None


class Supervisor:
    """Starts, ends and contains one owner's environment processes (see the module docstring)."""

    def __init__(self, workdir: str | None = None, *, mode: str = "auto", remove_workdir: bool = False,
                 use_cgroups: bool = True) -> None:
        if mode not in ("auto", "fork", "spawn"):
            raise ValueError(f"mode must be 'auto', 'fork' or 'spawn', got {mode!r}")
        if mode == "auto":  # the fork server needs Linux (SOCK_SEQPACKET, prctl, /proc)
            mode = "fork" if sys.platform.startswith("linux") and hasattr(socket, "SOCK_SEQPACKET") else "spawn"
        self.mode = mode
        self.workdir = workdir
        self._lock = threading.Lock()  # the fork servers and cgroup numbering
        self._guard_lock = threading.Lock()  # the guardian's pipe
        self._servers: dict[str, tuple[subprocess.Popen[bytes], socket.socket]] = {}
        self._mounts: set[str] = set()
        self._count = 0
        self._closed = False
        linux = use_cgroups and sys.platform.startswith("linux")
        self.memcg_root = self._make_root(find_memcg_root(), "memory.limit_in_bytes") if linux else None
        # AWS's 1,024 processes/threads per environment, where the v1 pids controller is writable
        self.pids_root = self._make_root(find_v1_root("pids", "pids.max"), "pids.max") if linux else None
        # Joining a cgroup v2 costs ~20 ms here (the v1 memory cgroup ~0.1 ms), so v2 is the fallback.
        self.cgroup_root = (self._make_root(find_cgroup_root(), "cgroup.kill")
                            if linux and self.memcg_root is None else None)
        self._guardian = self._start_guardian(workdir if remove_workdir else None)

    # -- starting -----------------------------------------------------------------------------

    def launch(self, request: dict, out_fd: int, python: str, memory_limit_mb: int | None = None,
               go_fd: int = -1) -> Launched:
        """Start one environment for *request* with its output on *out_fd*; returns when it forked.

        *memory_limit_mb* caps the environment's memory (resident + its /tmp tmpfs) in a cgroup;
        with *go_fd* the runtime waits for a byte on it (extensions register first)."""
        if self._closed:
            raise RuntimeError("this supervisor is closed")
        # The fork server makes the memory cgroups itself (ahead of time, for its spare inits).
        memcg = self._new_memcg(memory_limit_mb) if self.mode == "spawn" else None
        pids = self._new_pids_cgroup() if self.mode == "spawn" else None
        request = dict(request, cgroup=self._new_cgroup(self.cgroup_root), memory_limit_mb=memory_limit_mb,
                       memcg=memcg, pidscg=pids, python=python)
        report_r, report_w = os.pipe()
        lifeline = -1
        try:
            if self.mode == "fork":
                init_pid, request["memcg"], request["pidscg"] = self._fork(
                    request, [out_fd, report_w] + ([go_fd] if go_fd >= 0 else []), python)
            else:
                init_pid, lifeline = self._spawn(dict(request, go_fd=go_fd), out_fd, report_w, python)
        except BaseException:
            os.close(report_r)
            raise
        finally:
            os.close(report_w)
        if init_pid <= 0:
            os.close(report_r)
            raise RuntimeError("the fork server could not start an environment (fork failed)")
        self._guard("+", init_pid)
        pid = _read_pid(report_r)
        return Launched(pid if pid else -1, init_pid, report_r, request["cgroup"], lifeline, request["memcg"],
                        request["pidscg"])

    def _fork(self, request: dict, fds: list[int], python: str) -> tuple[int, str | None, str | None]:
        with self._lock:
            _, sock = self._server(python)
            socket.send_fds(sock, [json.dumps(request).encode()], fds)
            reply = json.loads(sock.recv(4096))
        return int(reply["pid"]), reply.get("memcg"), reply.get("pidscg")

    def _spawn(self, request: dict, out_fd: int, report_w: int, python: str) -> tuple[int, int]:
        life_r, life_w = os.pipe()
        try:
            proc = subprocess.Popen([python, "-I", "-S", "-B", "-u", FORKSERVER_PATH, "child",
                                     json.dumps(dict(request, report_fd=report_w))],
                                    stdin=life_r, stdout=out_fd, stderr=subprocess.STDOUT,
                                    pass_fds=(report_w,) + ((request["go_fd"],) if request["go_fd"] >= 0 else ()),
                                    close_fds=True, cwd="/")
        finally:
            os.close(life_r)
        threading.Thread(target=proc.wait, daemon=True).start()  # reap it when it ends
        return proc.pid, life_w

    def _server(self, python: str) -> tuple[subprocess.Popen[bytes], socket.socket]:
        """The fork server for *python*, started on first use (and again if it died)."""
        entry = self._servers.get(python)
        if entry is not None and entry[0].poll() is None:
            return entry
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            proc = subprocess.Popen([python, "-I", "-S", "-B", "-u", FORKSERVER_PATH, "serve", self.memcg_root or "",
                                     self.pids_root or ""],
                                    stdin=theirs,
                                    stdout=subprocess.DEVNULL, close_fds=True, start_new_session=True, cwd="/")
        finally:
            theirs.close()
        self._guard("+", proc.pid)
        self._servers[python] = (proc, ours)
        return proc, ours

    def prestart(self, python: str | None = None) -> None:
        """Start the fork server now rather than at the first environment."""
        if self.mode == "fork":
            with self._lock:
                self._server(python or sys.executable)

    # -- ending --------------------------------------------------------------------------------

    def kill(self, launched: Launched, wait: float = 5.0) -> bytes:
        """End the environment (its runtime and every process it started); wait for its init.

        Returns what the init still reported (an ``exit`` line that raced with the kill)."""
        if launched.cgroup:
            _write(os.path.join(launched.cgroup, "cgroup.kill"), "1")
        for group in (launched.memcg, launched.pidscg):
            if group:
                kill_cgroup_v1(group)
        if launched.lifeline_fd >= 0:
            os.close(launched.lifeline_fd)
        if launched.init_pid > 0:
            try:
                os.killpg(launched.init_pid, 9)  # the init (its runtime has a group of its own)
            except OSError:
                pass
        if launched.pid > 0:
            try:
                os.killpg(launched.pid, 9)
            except OSError:
                pass
        data = _wait_eof(launched.report_fd, wait)
        self._guard("-", launched.init_pid)
        for path in (launched.cgroup, launched.memcg, launched.pidscg):
            if path:
                _remove_cgroup(path)
        return data

    def mount_tmp(self, path: str, size_mb: int) -> bool:
        """Mount a tmpfs of *size_mb* on *path* (root on Linux only): ``/tmp`` full means ENOSPC."""
        if path in self._mounts:
            return True
        if not sys.platform.startswith("linux") or os.geteuid() != 0:
            return False
        libc = _libc()
        options = f"size={size_mb}m,mode=1777".encode()
        if libc is None or libc.mount(b"tmpfs", path.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options) != 0:
            return False
        self._mounts.add(path)
        self._tell_guardian(f"m{path}")
        return True

    def release_tmp(self, path: str) -> None:
        """Unmount an environment's tmpfs (its files go with it)."""
        if path in self._mounts:
            self._mounts.discard(path)
            libc = _libc()
            if libc is not None:
                libc.umount2(path.encode(), MNT_DETACH)
            self._tell_guardian(f"u{path}")

    def close(self) -> None:
        """End every environment, the fork servers and the guardian (which cleans up after them)."""
        if self._closed:
            return
        self._closed = True
        if self.cgroup_root:
            _write(os.path.join(self.cgroup_root, "cgroup.kill"), "1")
        if self.memcg_root:
            kill_cgroup_v1(self.memcg_root)
        for proc, sock in self._servers.values():
            sock.close()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:  # pragma: no cover
                proc.kill()
                proc.wait()
        self._servers.clear()
        for path in list(self._mounts):
            self.release_tmp(path)
        guardian = self._guardian
        if guardian is not None and guardian.stdin is not None:
            guardian.stdin.close()
            guardian.wait()

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _make_root(parent: str | None, marker: str) -> str | None:
        """A folder of this supervisor's own under cgroup folder *parent* (which must offer *marker*)."""
        if parent is None:
            return None
        path = os.path.join(parent, f"minilambda-{os.getpid()}-{os.urandom(4).hex()}")
        try:
            os.mkdir(path)
        except OSError:
            return None
        if not os.path.exists(os.path.join(path, marker)):
            os.rmdir(path)
            return None
        return path

    def _new_cgroup(self, root: str | None) -> str | None:
        if root is None:
            return None
        with self._lock:
            self._count += 1
            path = os.path.join(root, f"env-{self._count}")
        try:
            os.mkdir(path)
        except OSError:
            return None
        return path

    def _new_pids_cgroup(self) -> str | None:
        path = self._new_cgroup(self.pids_root)
        if path is not None and not _write(os.path.join(path, "pids.max"), str(MAX_TASKS)):
            _remove_cgroup(path)
            return None
        return path

    def _new_memcg(self, limit_mb: int | None) -> str | None:
        if limit_mb is None:
            return None
        path = self._new_cgroup(self.memcg_root)
        if path is not None and not _write(os.path.join(path, "memory.limit_in_bytes"), str(limit_mb << 20)):
            _remove_cgroup(path)
            return None
        return path

    def _start_guardian(self, workdir: str | None) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-I", "-S", "-c", _GUARDIAN_CODE, self.cgroup_root or "",
                                 workdir or "", self.memcg_root or "", self.pids_root or ""], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, close_fds=True, start_new_session=True, cwd="/")

    def _guard(self, op: str, pgid: int) -> None:
        """Tell the guardian about a process group to kill if this interpreter dies (no cgroups)."""
        if not (self.cgroup_root or self.memcg_root):
            self._tell_guardian(f"{op}{pgid}")

    def _tell_guardian(self, line: str) -> None:
        """One line to the guardian: ``+pgid``/``-pgid`` (groups), ``m<path>``/``u<path>`` (mounts)."""
        guardian = self._guardian
        if guardian is None or guardian.stdin is None:
            return
        try:
            with self._guard_lock:
                guardian.stdin.write(f"{line}\n".encode())
                guardian.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass


def kill_cgroup_v1(root: str, rounds: int = 100) -> None:
    """SIGKILL every process in cgroup *root* and its children until they are empty."""
    for _ in range(rounds):
        pids = []
        for path, _, files in os.walk(root):
            if "cgroup.procs" in files:
                try:
                    with open(os.path.join(path, "cgroup.procs")) as f:
                        pids += [int(p) for p in f.read().split()]
                except OSError:
                    pass
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, 9)
            except OSError:
                pass


def _libc():  # type: ignore[no-untyped-def]
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True)
    except Exception:  # pragma: no cover
        return None


def _write(path: str, text: str) -> bool:
    try:
        with open(path, "w") as f:
            f.write(text)
        return True
    except OSError:
        return False


def _read_pid(fd: int) -> int:
    """The runtime pid the environment init writes first on its report pipe (0 if it died)."""
    data = b""
    while not data.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], LAUNCH_TIMEOUT)
        chunk = os.read(fd, 1) if ready else b""
        if not chunk:
            return 0
        data += chunk
    return int(data.split()[1])


def _wait_eof(fd: int, timeout: float) -> bytes:
    """Read *fd* until EOF (its writers are gone) or *timeout* seconds; return what was read."""
    import time

    deadline = time.monotonic() + timeout
    data = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return data
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except BlockingIOError:
                continue
            except OSError:
                return data
            if not chunk:
                return data
            data += chunk


def _remove_cgroup(path: str) -> None:
    """rmdir the cgroup once its processes are gone (bounded wait; the guardian sweeps the rest)."""
    import time

    for _ in range(100):
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.002)
