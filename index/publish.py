"""Publishing: the serving generation copied to a replica's index folder, on this host or another
(`rsync`, over ssh for `HOST:PATH`), checked there against its manifest's checksums, then
switched to with the same atomic CURRENT move a build makes; servers on the replica notice it as
they notice a reindex. The write side: imports `index/` only.

On a replica host, `python3 -m index.publish state PATH` and `python3 -m index.publish accept
PATH gen-<n>` run the steps that must happen there (one JSON line on stdout each); the host needs
rsync and this project installed for the `python3` that ssh finds.
"""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from index.lock import LockHolder, LockTimeout, ReindexLock
from index.store import generations

# rsync copies the generation's files only: hidden files (a server's `.readers` lock) stay out,
# and `--delete` makes a folder an interrupted publish left identical to the source's.
RSYNC_OPTIONS = ("--archive", "--delete", "--exclude=.*", "--stats")
_TRANSFERRED = re.compile(r"Total transferred file size: ([\d,.]+)")


class PublishError(Exception):
    """A publish that could not go ahead or was refused on arrival; its text is the operator's
    whole message (what, where, what to do). The replica serves what it served before."""


@dataclass(frozen=True)
class ReplicaState:
    """What a replica serves: the generation's name and a digest of its manifest's checksums
    (the same digest: the same files), or None for both before its first publish."""

    serving: str | None
    digest: str | None


@dataclass(frozen=True)
class PublishReport:
    """What a publish did, for the CLI (and the tests)."""

    target: str
    generation: str
    previous: str | None  # what the replica served before
    copied: bool  # False: the replica served this generation already, nothing was sent
    generation_bytes: int
    sent_bytes: int | None  # file bytes rsync transferred (unchanged files are linked, not sent)
    seconds: float


def publish(index_dir: Path, target: str, *, lock_timeout: float,
            on_wait: Callable[[LockHolder], None] | None = None,
            remote_python: str = "python3") -> PublishReport:
    """Copy the serving generation of `index_dir` to `target` (a folder, or `HOST:PATH`) and
    switch the replica to it; a replica that serves it already is left alone.

    The source generation is held for reading while it is sent, so a reindex here cannot remove
    it. Raises PublishError."""
    started = time.monotonic()
    source = generations.serving_generation(index_dir)
    if source is None:
        raise PublishError(f"nothing to publish: {index_dir} has no serving generation yet; "
                           "run reindex first")
    damage = generations.check_generation(source)
    if damage is not None:
        raise PublishError(f"the serving {source.name} in {index_dir} fails its check ({damage}); "
                           "nothing was sent. Run reindex to rebuild it, then publish again.")
    hold = generations.hold_for_reading(source)
    try:
        replica = _replica(target, lock_timeout, on_wait, remote_python)
        before, copied, sent = replica.receive(source, manifest_digest(source))
    finally:
        hold.release()
    return PublishReport(target, source.name, before, copied, generations.folder_size(source),
                         sent, time.monotonic() - started)


def manifest_digest(gen_dir: Path) -> str:
    """A digest of a generation's recorded checksums: two folders with the same digest hold
    the same files."""
    recorded = generations.read_manifest(gen_dir).get(generations.CHECKSUMS, {})
    return hashlib.sha256(json.dumps(recorded, sort_keys=True).encode("utf-8")).hexdigest()


def replica_state(index_dir: Path) -> ReplicaState:
    """What the replica in `index_dir` serves now."""
    serving = generations.serving_generation(index_dir)
    if serving is None:
        return ReplicaState(None, None)
    try:
        return ReplicaState(serving.name, manifest_digest(serving))
    except (OSError, ValueError):
        return ReplicaState(serving.name, None)


def accept(index_dir: Path, name: str, lock_timeout: float) -> str | None:
    """`accept_arrived` under the replica's reindex lock (a replica host's side of a publish
    over ssh); returns what the replica served before."""
    with ReindexLock(index_dir, lock_timeout):
        return accept_arrived(index_dir, name)


def accept_arrived(index_dir: Path, name: str) -> str | None:
    """Check the generation that arrived in `index_dir/name` against its manifest's checksums,
    switch CURRENT to it, and remove the replica's older generations but the one it replaces
    (a server may still answer from that one). A generation that fails its check is removed
    and refused. The caller holds the replica's reindex lock."""
    index_dir = Path(index_dir)
    arrived = index_dir / name
    generations.generation_number(arrived)  # a gen-<n> name, or ValueError
    before = generations.serving_generation(index_dir)
    damage = generations.check_generation(arrived)
    if damage is not None:
        generations.remove_if_unread(arrived)
        raise PublishError(f"{name} arrived in {index_dir} damaged ({damage}); it was removed and "
                           f"the replica still serves {before.name if before else 'nothing'}. "
                           "Publish again.")
    generations.switch_to(index_dir, arrived)
    generations.remove_stale_generations(index_dir, {arrived, *([before] if before else [])})
    return before.name if before else None


class _LocalReplica:
    """A replica's index folder on this host: copied into and switched under its reindex lock,
    so that two publishes (or a reindex there) never interleave."""

    def __init__(self, path: Path, lock_timeout: float, on_wait):
        self.path, self.lock_timeout, self.on_wait = Path(path), lock_timeout, on_wait

    def receive(self, source: Path, digest: str) -> tuple[str | None, bool, int | None]:
        self.path.mkdir(parents=True, exist_ok=True)
        with ReindexLock(self.path, self.lock_timeout, self.on_wait):
            state = replica_state(self.path)
            if _already_there(state, source, digest, str(self.path)):
                return state.serving, False, None
            sent = _rsync(source, str(self.path / source.name), state.serving)
            return accept_arrived(self.path, source.name), True, sent


class _RemoteReplica:
    """A replica's index folder on another host: its state and the switch through `ssh HOST
    python3 -m index.publish …`, the files through rsync over ssh."""

    def __init__(self, host: str, path: str, lock_timeout: float, remote_python: str):
        self.host, self.path = host, path
        self.lock_timeout, self.remote_python = lock_timeout, remote_python

    def receive(self, source: Path, digest: str) -> tuple[str | None, bool, int | None]:
        state = ReplicaState(**self._run("state", self.path))
        if _already_there(state, source, digest, f"{self.host}:{self.path}"):
            return state.serving, False, None
        sent = _rsync(source, f"{self.host}:{self.path.rstrip('/')}/{source.name}", state.serving)
        before = self._run("accept", self.path, source.name, f"--lock-timeout={self.lock_timeout:g}")
        return before["previous"], True, sent

    def _run(self, *args: str) -> dict:
        command = ["ssh", self.host, self.remote_python, "-m", "index.publish", *args]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            said = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
            raise PublishError(f"on {self.host}: {said}")
        return json.loads(done.stdout)


def _replica(target: str, lock_timeout: float, on_wait, remote_python: str):
    """rsync's rule: a colon before any slash names a host."""
    host, colon, path = target.partition(":")
    if colon and host and "/" not in host:
        return _RemoteReplica(host, path or ".", lock_timeout, remote_python)
    return _LocalReplica(Path(target), lock_timeout, on_wait)


def _already_there(state: ReplicaState, source: Path, digest: str, where: str) -> bool:
    """True when the replica serves this very generation; a different one under the same name
    (another builder's) is refused rather than overwritten under its servers."""
    if state.serving != source.name:
        return False
    if state.digest == digest:
        return True
    raise PublishError(f"{where} serves a {source.name} that differs from this index's (was it "
                       "published from another index folder?); nothing was sent. Publish to an "
                       "empty folder instead.")


def _rsync(source: Path, destination: str, serving: str | None) -> int | None:
    """Copy `source` into `destination` (a gen-<n> folder); files the replica's serving
    generation already holds unchanged are hard-linked from it, not sent. Returns the bytes
    sent as rsync counts them."""
    link = (f"--link-dest=../{serving}",) if serving else ()
    done = subprocess.run(["rsync", *RSYNC_OPTIONS, *link, f"{source}/", f"{destination}/"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise PublishError(f"copying {source.name} to {destination} failed: {said}; the replica "
                           "still serves what it served. Publish again when that is fixed.")
    found = _TRANSFERRED.search(done.stdout)
    return int(re.sub(r"[,.]", "", found.group(1))) if found else None


def _main(argv: list[str]) -> int:
    """The replica host's side, over ssh: `state PATH` or `accept PATH gen-<n>
    [--lock-timeout=S]`; one JSON line on stdout (what the publishing side reads), or one line
    on stderr and exit 1."""
    try:
        action, path, *rest = argv
        if action == "state":
            sys.stdout.write(json.dumps(asdict(replica_state(Path(path)))) + "\n")
            return 0
        name, *options = rest
        timeout = float(options[0].removeprefix("--lock-timeout=")) if options else 600.0
        sys.stdout.write(json.dumps({"previous": accept(Path(path), name, timeout)}) + "\n")
        return 0
    except ValueError as err:
        sys.stderr.write(f"usage: python3 -m index.publish state PATH | accept PATH gen-<n> "
                         f"({err})\n")
    except (PublishError, LockTimeout, OSError) as err:
        sys.stderr.write(f"{err}\n")
    return 1


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
