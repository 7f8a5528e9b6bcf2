"""Starts execution environments: a pre-started fork server, and each environment's init process.

Run as a script, never imported from minilambda (standard library only)::

    python -I -S -B -u forkserver.py serve     # fd 0: a SOCK_SEQPACKET socket to the supervisor
    python -I -S -B -u forkserver.py child REQ # the spawn path: one environment, fresh interpreter

The fork server imports the Python runtime client (``bootstrap.py``) once, then hands each
request to an *environment init*: one of two spares forked ahead (already in a session of their
own, child subreapers, inside their memory cgroup), or one forked on demand. The init applies the
isolation after the fork (private mount namespace with the environment's /tmp, limits), forks
the runtime (environment from scratch, working directory, then the handler's INIT, or ``exec`` of
a custom runtime's ``bootstrap`` / the ``AWS_LAMBDA_EXEC_WRAPPER``), reaps every orphan, and when
the runtime ends reports ``exit <status> <max rss kB>`` and kills whatever the handler left.
"""

import json
import os
import select
import signal
import socket
import sys
import time

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
CLONE_NEWNS = 0x00020000
MS_BIND = 4096
MS_PRIVATE = 1 << 18
NOFILE = 1024  # AWS: 1,024 file descriptors per environment
MAX_TASKS = 1024  # AWS: 1,024 processes or threads per environment
REFILL_DELAY_S = 0.1  # spare inits are forked after this long without a request
HERE = os.path.dirname(os.path.abspath(__file__))


class Libc:
    """The few libc calls the standard library lacks (prctl, unshare, mount); no-ops if absent."""

    def __init__(self):
        try:
            import ctypes

            self.lib = ctypes.CDLL(None, use_errno=True)
        except Exception:  # pragma: no cover - no ctypes
            self.lib = None

    def call(self, name, *args):
        """Call libc *name*; -1 when it is missing or fails."""
        if self.lib is None:
            return -1
        try:
            return getattr(self.lib, name)(*args)
        except Exception:  # pragma: no cover
            return -1


def load_bootstrap():
    """Import the Python runtime client (bootstrap.py next to this file) as module ``bootstrap``."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bootstrap", os.path.join(HERE, "bootstrap.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules["bootstrap"] = module
    spec.loader.exec_module(module)
    module.preload()
    return module


# --- the environment init ----------------------------------------------------------------------


def children_of(pid):
    """Pids whose parent is *pid* (from /proc)."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        found = []
        try:
            names = os.listdir("/proc")
        except OSError:  # no procfs (macOS): nothing to find this way
            return found
        for name in names:
            if name.isdigit():
                try:
                    with open("/proc/%s/stat" % name, "rb") as f:
                        stat = f.read()
                    if int(stat[stat.rindex(b")") + 2:].split()[1]) == pid:
                        found.append(int(name))
                except (OSError, ValueError, IndexError):
                    pass
        return found


def kill_descendants(keep=()):
    """SIGKILL every child (subreaper: orphans come back as children) until none is left."""
    me = os.getpid()
    while True:
        victims = [p for p in children_of(me) if p not in keep]
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        reaped = reap(keep)
        if not victims and not reaped:
            return


def reap(keep=()):
    """Reap every exited child not in *keep*; return how many."""
    count = 0
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return count
        if pid == 0:
            return count
        count += 1


def isolate(req, libc, own_namespace):
    """The environment's folder on /tmp (in its own mount namespace); AWS's fd limit."""
    tmp = req.get("tmp")
    if tmp and own_namespace:
        if libc.call("mount", tmp.encode(), b"/tmp", None, MS_BIND, None) == 0:
            req["env"]["TMPDIR"] = "/tmp"
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))
    except (ImportError, ValueError, OSError):  # pragma: no cover
        pass


def join_cgroup(path, pids):
    """Move *pids* (0: this process) into cgroup *path* (their later children follow); False if refused."""
    if not path:
        return False
    try:
        for pid in pids:
            with open(os.path.join(path, "cgroup.procs"), "w") as f:
                f.write(str(pid))
        return True
    except OSError:
        return False


def exec_wrapper(wrapper, argv, env):
    """AWS's managed bootstrap with ``AWS_LAMBDA_EXEC_WRAPPER`` set: checks, then exec."""
    if not os.path.isfile(wrapper):
        os.write(1, ("%s: does not exist\n" % wrapper).encode())
        os._exit(127)
    if not os.access(wrapper, os.X_OK):
        os.write(1, ("%s: is not an executable\n" % wrapper).encode())
        os._exit(126)
    os.execve(wrapper, [wrapper] + argv, env)


def become_runtime(req, out_fd, bootstrap):
    """In the runtime process: output, working directory, environment, then run or exec."""
    os.setpgid(0, 0)
    Libc().call("prctl", PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    os.close(null)
    os.close(out_fd)
    os.chdir(req["cwd"])
    env = req["env"]
    target = req.get("exec")
    if target:
        os.execve(target, [target], env)
    wrapper = env.get("AWS_LAMBDA_EXEC_WRAPPER")
    if wrapper:
        argv = [req["python"], "-I", "-S", "-B", "-u", os.path.join(HERE, "bootstrap.py")]
        if req.get("layer"):
            argv += ["--layer", req["layer"]]
        exec_wrapper(wrapper, argv, env)
    os.environ.clear()
    os.environ.update(env)
    if bootstrap is None:
        bootstrap = load_bootstrap()
    code = 0
    try:
        bootstrap.main(req.get("layer"))
    except SystemExit as stop:  # as the interpreter would exit for sys.exit(...)
        code = exit_code(stop.code)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    os._exit(code)


def exit_code(value):
    """The process status Python gives ``sys.exit(value)``."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    sys.stderr.write("%s\n" % (value,))
    return 1


def prepare_init(libc, private_mounts):
    """What every environment init does first: a session, child subreaper, own mount namespace."""
    os.setsid()
    libc.call("prctl", PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    return private_mounts and private_namespace(libc)


def set_memory_limit(memcg, limit_mb):
    """Cap a (v1) memory cgroup at *limit_mb*."""
    if memcg and limit_mb:
        try:
            with open(os.path.join(memcg, "memory.limit_in_bytes"), "w") as f:
                f.write(str(int(limit_mb) << 20))
        except OSError:
            pass


def private_namespace(libc):
    """A mount namespace of this process's own; False if refused."""
    if libc.call("unshare", CLONE_NEWNS) == 0:
        # Only the mount holding /tmp must not propagate the bind back to the host (recursive
        # MS_PRIVATE on / would cost ~3 ms per environment here).
        libc.call("mount", b"none", b"/", None, MS_PRIVATE, None)
        libc.call("mount", b"none", b"/tmp", None, MS_PRIVATE, None)  # EINVAL unless /tmp is a mount
        return True
    return False


def run_environment(req, out_fd, report_fd, lifeline_fd, libc, bootstrap, own_namespace=None):
    """The environment's init: isolate, fork the runtime, reap, report its end, kill the rest."""
    if own_namespace is None:
        own_namespace = prepare_init(libc, bool(req.get("tmp")))
    isolate(req, libc, own_namespace)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    stop = []
    signal.signal(signal.SIGCHLD, lambda *a: None)
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    go_fd = req.get("go_fd", -1)
    extensions = start_extensions(req, out_fd, (wake_r, wake_w, report_fd, lifeline_fd, go_fd))
    pid = os.fork()
    if pid == 0:
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        for fd in (wake_r, wake_w, report_fd, lifeline_fd):
            if fd >= 0:
                os.close(fd)
        try:
            if go_fd >= 0:  # the runtime's INIT starts once every extension has registered
                go = os.read(go_fd, 1)
                os.close(go_fd)
                if not go:
                    os._exit(0)
            become_runtime(req, out_fd, bootstrap)
        finally:
            os._exit(127)
    os.close(out_fd)
    if go_fd >= 0:
        os.close(go_fd)
    os.write(report_fd, b"pid %d\n" % pid)
    # Joining a cgroup takes 10-20 ms (an RCU grace period), so it happens while the runtime
    # already runs its INIT; the subreaper contains anything started before the move.
    # Only the runtime moves (each move is a grace period during which no process can fork);
    # this init is killed through its process group.
    in_cgroup = join_cgroup(req.get("cgroup"), (pid, 0))
    join_cgroup(req.get("memcg"), (pid,))
    join_cgroup(req.get("pidscg"), (pid,))
    status, maxrss = supervise(pid, wake_r, lifeline_fd, stop, extensions, report_fd)
    if status is not None:
        os.write(report_fd, b"exit %d %d\n" % (status, maxrss))
        while extensions and not stop:  # the shutdown phase: extensions finish; the platform ends it
            if supervise(-1, wake_r, lifeline_fd, stop, extensions, report_fd) == (None, 0) and stop:
                break
    if in_cgroup:
        try:
            with open(os.path.join(req["cgroup"], "cgroup.kill"), "w") as f:
                f.write("1")
        except OSError:
            pass
    kill_descendants()
    os._exit(0)


def supervise(pid, wake_fd, lifeline_fd, stop, extensions, report_fd):
    """Wait for the runtime *pid* to end; return (exit code, max rss kB), or (None, 0) if stopped.

    An extension that exits is reported as ``extexit <name> <code>``."""
    watched = [wake_fd] + ([lifeline_fd] if lifeline_fd >= 0 else [])
    while True:
        while True:
            try:
                got, status, usage = os.wait3(os.WNOHANG)
            except ChildProcessError:
                return None, 0
            if got == 0:
                break
            code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
            if got == pid:
                return code, usage.ru_maxrss
            if got in extensions:
                os.write(report_fd, ("extexit %s %d\n" % (extensions.pop(got), code)).encode())
                if pid < 0 and not extensions:
                    return None, 0
        if stop:
            return None, 0
        try:
            ready, _, _ = select.select(watched, [], [])
        except InterruptedError:
            continue
        if wake_fd in ready:
            os.read(wake_fd, 512)
        if lifeline_fd in ready and not os.read(lifeline_fd, 512):
            return None, 0


def start_extensions(req, out_fd, close_fds):
    """Start every external extension (``/opt/extensions``) with its environment; {pid: name}."""
    started = {}
    for path in req.get("extensions") or ():
        pid = os.fork()
        if pid == 0:
            try:
                signal.set_wakeup_fd(-1)
                for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGPIPE):
                    signal.signal(sig, signal.SIG_DFL)
                for fd in close_fds:
                    if fd >= 0:
                        os.close(fd)
                null = os.open(os.devnull, os.O_RDONLY)
                os.dup2(null, 0)
                os.dup2(out_fd, 1)
                os.dup2(out_fd, 2)
                os.chdir(req["cwd"])
                os.execve(path, [path], req["ext_env"])
            finally:
                os._exit(127)
        started[pid] = os.path.basename(path)
    return started


# --- the fork server ---------------------------------------------------------------------------


def serve():
    """Fork one environment init per request on fd 0 until the supervisor goes away."""
    libc = Libc()
    libc.call("prctl", PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    sock = socket.socket(fileno=os.dup(0))
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.close(null)
    bootstrap = load_bootstrap()
    import gc

    gc.collect()
    gc.freeze()  # keep the preloaded objects' pages shared with every environment
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *a: None)
    inits = set()
    roots = (sys.argv[2:] + ["", ""])[:2]  # memory and pids cgroup folders ("" when unavailable)
    pool = Pool(roots[0], roots[1], libc, bootstrap, [sock.fileno(), wake_r, wake_w])
    pool.refill(inits)
    refill_at = None  # refill once idle: a spare joining its cgroups holds up every fork meanwhile
    while True:
        wait = None if refill_at is None else max(0.0, refill_at - time.monotonic())
        try:
            ready, _, _ = select.select([sock, wake_r], [], [], wait)
        except InterruptedError:
            continue
        if not ready and refill_at is not None:
            pool.refill(inits)
            refill_at = None
        if wake_r in ready:
            os.read(wake_r, 512)
            reap_inits(inits)
        if sock in ready:
            try:
                data, fds, _, _ = socket.recv_fds(sock, 1 << 20, 4)
            except OSError:
                data, fds = b"", []
            if not data:
                break
            launch(sock, json.loads(data), fds, inits, libc, bootstrap, (wake_r, wake_w), pool)
            refill_at = time.monotonic() + REFILL_DELAY_S
    for pid in list(inits):
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
    kill_descendants()


def reap_inits(inits):
    """Forget exited environment inits; kill any other child (an orphan of a dead environment)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        inits.discard(pid)
    for pid in children_of(os.getpid()):
        if pid not in inits:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


class Pool:
    """Spare environment inits, forked ahead: session, subreaper, mount namespace and memory
    cgroup are done before a request comes (joining a cgroup waits for an RCU grace period)."""

    SIZE = 2

    def __init__(self, memcg_root, pids_root, libc, bootstrap, server_fds):
        self.memcg_root = memcg_root
        self.pids_root = pids_root
        self.libc = libc
        self.bootstrap = bootstrap
        self.server_fds = server_fds
        self.spares = []  # (pid, socket to it, its memory cgroup or "", its pids cgroup or "")
        self.count = 0

    def refill(self, inits):
        """Fork spares until the pool is full (forgetting any that died)."""
        self.spares = [s for s in self.spares if s[0] in inits]
        while len(self.spares) < self.SIZE:
            spare = self._fork_spare()
            if spare is None:
                return
            inits.add(spare[0])
            self.spares.append(spare)

    def take(self, inits):
        """A live spare (pid, socket, cgroup), or None."""
        while self.spares:
            spare = self.spares.pop(0)
            if spare[0] in inits:
                return spare
            spare[1].close()
        return None

    def new_memcg(self, kind):
        """A new memory cgroup folder under the supervisor's ("" if none)."""
        return self._new_group(self.memcg_root, kind)

    def new_pids_cgroup(self, kind):
        """A new pids cgroup folder capped at AWS's 1,024 tasks ("" if none)."""
        path = self._new_group(self.pids_root, kind)
        try:
            if path:
                with open(os.path.join(path, "pids.max"), "w") as f:
                    f.write(str(MAX_TASKS))
        except OSError:
            pass
        return path

    def _new_group(self, root, kind):
        if not root:
            return ""
        self.count += 1
        path = os.path.join(root, "%s-%d-%d" % (kind, os.getpid(), self.count))
        try:
            os.mkdir(path)
        except OSError:
            return ""
        return path

    def _fork_spare(self):
        memcg = self.new_memcg("spare")
        pidscg = self.new_pids_cgroup("spare")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            pid = os.fork()
        except OSError:
            ours.close()
            theirs.close()
            return None
        if pid == 0:
            try:
                ours.close()
                self._be_spare(theirs, memcg, pidscg)
            finally:
                os._exit(70)
        theirs.close()
        return pid, ours, memcg, pidscg

    def _be_spare(self, conn, memcg, pidscg):
        """In the spare: prepare, wait for one request, then be that environment's init."""
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in self.server_fds + [s[1].fileno() for s in self.spares]:
            try:
                os.close(fd)
            except OSError:
                pass
        self.libc.call("prctl", PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        prepare_init(self.libc, False)  # the mount namespace must copy mounts made later (the /tmp tmpfs)
        join_cgroup(memcg, (0,))
        join_cgroup(pidscg, (0,))
        data, fds, _, _ = socket.recv_fds(conn, 1 << 20, 4)
        conn.close()
        if not data:
            os._exit(0)
        req = json.loads(data)
        req["go_fd"] = fds[2] if len(fds) > 2 else -1
        set_memory_limit(memcg, req.get("memory_limit_mb"))
        req["memcg"] = req["pidscg"] = None  # already in its own
        own_namespace = bool(req.get("tmp")) and private_namespace(self.libc)
        run_environment(req, fds[0], fds[1], -1, self.libc, self.bootstrap, own_namespace)


def launch(sock, req, fds, inits, libc, bootstrap, wake, pool):
    """Hand *req* to a spare environment init, or fork one; answer its pid (and cgroup)."""
    spare = pool.take(inits)
    if spare is not None:
        pid, conn, memcg, pidscg = spare
        try:
            socket.send_fds(conn, [json.dumps(req).encode()], fds)
        except OSError:
            pid = 0
        conn.close()
        for fd in fds:
            os.close(fd)
        sock.send(json.dumps({"pid": pid, "memcg": memcg or None, "pidscg": pidscg or None}).encode())
        return
    if pool.memcg_root and req.get("memory_limit_mb"):
        req["memcg"] = pool.new_memcg("env")
        set_memory_limit(req["memcg"], req["memory_limit_mb"])
    req["pidscg"] = pool.new_pids_cgroup("env")
    out_fd, report_fd = fds[0], fds[1]
    req["go_fd"] = fds[2] if len(fds) > 2 else -1
    try:
        pid = os.fork()
    except OSError:  # EAGAIN/ENOMEM: answer 0, keep serving
        for fd in fds:
            os.close(fd)
        sock.send(b'{"pid": 0}')
        return
    if pid == 0:
        try:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            for fd in wake:
                os.close(fd)
            sock.close()
            libc.call("prctl", PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            run_environment(req, out_fd, report_fd, -1, libc, bootstrap)
        finally:
            os._exit(70)
    inits.add(pid)
    for fd in fds:
        os.close(fd)
    sock.send(json.dumps({"pid": pid, "memcg": req.get("memcg") or None,
                          "pidscg": req.get("pidscg") or None}).encode())


def child(raw):
    """The spawn path: this fresh interpreter is the environment's init (report pipe: ``report_fd``)."""
    req = json.loads(raw)
    lifeline = os.dup(0)
    run_environment(req, os.dup(1), req["report_fd"], lifeline, Libc(), None)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve()
    else:
        child(sys.argv[2])
