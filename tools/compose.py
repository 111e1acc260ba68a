"""docker-compose.yml and the Dockerfile, checked without a Docker daemon (CI has none), and the compose file run
as processes: the same commands, environment, start-up order, health checks, one-shot migrate and restart
policies, with the image services (postgres, redis) played by this machine's own.

    python -m tools.compose check    # static checks of docker-compose.yml, Dockerfile, .dockerignore
    python -m tools.compose up DIR   # the app services as processes (state, secrets and logs in DIR), until Ctrl-C

Development tooling: not part of the product package.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "api", "worker", "scheduler", "ui")
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
RESTARTS = {"no", "always", "on-failure", "unless-stopped"}


def load(path: Path = ROOT / "docker-compose.yml") -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))  # YAML anchors and `<<` merges resolved here
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a mapping")
    return data


def _command(svc: Mapping[str, Any]) -> list[str]:
    cmd = svc.get("command", [])
    return shlex.split(cmd) if isinstance(cmd, str) else [str(c) for c in cmd]


def _healthcheck(svc: Mapping[str, Any]) -> list[str]:
    test = svc.get("healthcheck", {}).get("test", [])
    if isinstance(test, str):
        return ["sh", "-c", test]
    if test and test[0] == "CMD-SHELL":
        return ["sh", "-c", " ".join(test[1:])]
    return [str(t) for t in test[1:]] if test and test[0] == "CMD" else []


def compose_problems(c: Mapping[str, Any], root: Path = ROOT) -> list[str]:
    """What an operator would trip over, each in words. Empty when the file is right."""
    out: list[str] = []
    services: dict[str, Any] = c.get("services", {})
    volumes = set(c.get("volumes") or {})
    secrets = c.get("secrets") or {}
    for name in ("postgres", "redis", *APP_SERVICES, "proxy"):
        if name not in services:
            out.append(f"service {name} is missing")
    for name, svc in services.items():
        restart = str(svc.get("restart", "no"))
        if restart not in RESTARTS:
            out.append(f"{name}: restart {restart!r} is not one of {sorted(RESTARTS)}")
        if name == "migrate":
            if restart != "no":
                out.append("migrate: a one-shot service must have restart: 'no'")
        elif restart not in ("always", "unless-stopped"):
            out.append(f"{name}: no restart policy (a killed container would stay down)")
        if name != "migrate" and not _healthcheck(svc):
            out.append(f"{name}: no health check")
        deps = svc.get("depends_on", {})
        if isinstance(deps, list):
            out.append(f"{name}: depends_on without conditions (start-up races)")
            deps = {}
        for dep, spec in deps.items():
            if dep not in services:
                out.append(f"{name}: depends on unknown service {dep}")
            cond = (spec or {}).get("condition")
            if cond not in CONDITIONS:
                out.append(f"{name}: depends on {dep} with condition {cond!r}")
            elif dep == "migrate" and cond != "service_completed_successfully":
                out.append(f"{name}: must wait for migrate to complete successfully")
            elif dep != "migrate" and cond != "service_healthy":
                out.append(f"{name}: must wait for {dep} to be healthy")
        if name in APP_SERVICES and name != "migrate" and "migrate" not in deps:
            out.append(f"{name}: does not wait for migrate")
        for port in svc.get("ports", []):
            if name != "proxy" and not str(port).startswith("127.0.0.1:"):
                out.append(f"{name}: port {port} is published on every interface (only the TLS proxy may be)")
        env = svc.get("environment", {})
        for key, value in env.items() if isinstance(env, dict) else ():
            if re.search(r"PASSWORD|SECRET|_KEY$", key) and not key.endswith("_FILE"):
                out.append(f"{name}: {key} set inline (use a secret file and {key}_FILE)")
            if isinstance(value, str) and re.search(r"://[^/@:]+:[^/@]+@", value):
                out.append(f"{name}: {key} holds a password in its URL")
        for vol in svc.get("volumes", []):
            source = str(vol).split(":")[0]
            if not source.startswith((".", "/")) and source not in volumes:
                out.append(f"{name}: volume {source} is not declared")
        for s in svc.get("secrets", []):
            if s not in secrets:
                out.append(f"{name}: secret {s} is not declared")
        image = str(svc.get("image", ""))
        if "build" not in svc and (not image or image.endswith(":latest") or ":" not in image):
            out.append(f"{name}: image {image or '(none)'} is not pinned to a version")
    redis = services.get("redis", {})
    if "--appendonly" not in _command(redis) or not any(str(v).endswith(":/data") for v in redis.get("volumes", [])):
        out.append("redis: the queue must persist (AOF on a named volume at /data)")
    if "noeviction" not in _command(redis):
        out.append("redis: maxmemory-policy must be noeviction (an evicted job is a lost page)")
    if _command(services.get("migrate", {}))[:2] != ["intake", "migrate"]:
        out.append("migrate: must run `intake migrate`")
    if _command(services.get("scheduler", {}))[:2] != ["intake", "scheduler"]:
        out.append("scheduler: must run `intake scheduler`")
    for sname, spec in secrets.items():
        f = str(spec.get("file", ""))
        if not f.startswith("./secrets/"):
            out.append(f"secret {sname}: {f!r} is not under ./secrets/ (kept out of git by .gitignore)")
    ignored = (root / ".gitignore").read_text(encoding="utf-8").split()
    if "/secrets/" not in ignored and "secrets/" not in ignored:
        out.append(".gitignore does not keep secrets/ out of git")
    return out


def dockerfile_problems(root: Path = ROOT) -> list[str]:
    text = (root / "Dockerfile").read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    out = []
    froms = [line for line in lines if line.upper().startswith("FROM ")]
    if len(froms) < 2:
        out.append("Dockerfile: not a multi-stage build")
    if any(":latest" in f or ":" not in f.split()[1] for f in froms):
        out.append("Dockerfile: a base image is not pinned")
    users = [line.split()[1] for line in lines if line.upper().startswith("USER ")]
    if not users or users[-1] in ("root", "0"):
        out.append("Dockerfile: runs as root (add a USER)")
    if not any(line.upper().startswith("HEALTHCHECK ") for line in lines):
        out.append("Dockerfile: no HEALTHCHECK")
    for pkg in ("postgresql-client", "tesseract-ocr-jpn", "fonts-ipaexfont-gothic"):
        if pkg not in text:
            out.append(f"Dockerfile: {pkg} is not installed")
    if "requirements.lock" not in text:
        out.append("Dockerfile: does not install the locked dependencies (requirements.lock)")
    if re.search(r"^COPY\s+\.\s", text, re.M):
        out.append("Dockerfile: COPY . copies the whole folder")
    ignore = (root / ".dockerignore").read_text(encoding="utf-8").split() if (root / ".dockerignore").exists() else []
    for must in (".git", ".venv", "var", "secrets"):
        if must not in ignore:
            out.append(f".dockerignore: {must} would go into the image")
    return out


# ---------------------------------------------------------------------------------------------------------------
# The compose file as processes


@dataclass
class Service:
    name: str
    command: list[str]
    env: dict[str, str]
    health: list[str]
    restart: str
    depends: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    exit_code: int | None = None
    log: Path | None = None


@dataclass
class Runner:
    """`rewrite` turns a compose value into this machine's (host names, ports, paths); `extra_env` is added to
    every service (what a test needs to see the jobs happen quickly)."""

    compose: dict[str, Any]
    rewrite: Callable[[str], str]
    logs: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    stopping: bool = False
    _watch: threading.Thread | None = None

    def service(self, name: str) -> Service:
        if name not in self.services:
            svc = self.compose["services"][name]
            env = {k: self.rewrite(str(v)) for k, v in (svc.get("environment") or {}).items()}
            self.services[name] = Service(
                name,
                [self.rewrite(a) for a in _command(svc)],
                {**os.environ, **env, **self.extra_env},
                [self.rewrite(a) for a in _healthcheck(svc)],
                str(svc.get("restart", "no")),
                {d: (s or {}).get("condition", "service_started") for d, s in (svc.get("depends_on") or {}).items()},
            )
        return self.services[name]

    def healthy(self, name: str) -> bool:
        svc = self.service(name)
        if not svc.health:
            return svc.process is not None and svc.process.poll() is None
        r = subprocess.run(svc.health, env=svc.env, capture_output=True, timeout=30)
        return r.returncode == 0

    def wait_for(self, name: str, condition: str, timeout: float = 180) -> None:
        end = time.monotonic() + timeout
        svc = self.service(name)
        while time.monotonic() < end:
            if condition == "service_completed_successfully":
                if svc.process is not None and svc.process.poll() is not None:
                    if svc.process.returncode != 0:
                        raise RuntimeError(f"{name} exited with {svc.process.returncode}: see {svc.log}")
                    return
            elif condition == "service_healthy" and self.healthy(name):
                return
            elif condition == "service_started" and svc.process is not None:
                return
            time.sleep(0.5)
        raise TimeoutError(f"{name} not {condition} after {timeout:.0f} s: see {svc.log}")

    def _spawn(self, svc: Service) -> None:
        svc.log = self.logs / f"{svc.name}.log"
        fh = svc.log.open("ab")
        svc.process = subprocess.Popen(svc.command, env=svc.env, stdout=fh, stderr=fh, start_new_session=True)
        svc.starts += 1

    def up(self, names: list[str], external: Mapping[str, Callable[[], bool]]) -> None:
        """Start `names` in dependency order, each once what it depends on meets its condition. `external`:
        image services this machine provides, each with a check that it answers."""
        started = {n for n, s in self.services.items() if s.process is not None}

        def start(name: str) -> None:
            if name in started:
                return
            if name in external:
                if not external[name]():
                    raise RuntimeError(f"{name} (provided by this machine) does not answer")
                started.add(name)
                return
            svc = self.service(name)
            for dep, cond in svc.depends.items():
                start(dep)
                if dep not in external:
                    self.wait_for(dep, cond)
            self._spawn(svc)
            started.add(name)

        for n in names:
            start(n)
        if self._watch is None:
            self._watch = threading.Thread(target=self._restart_loop, daemon=True)
            self._watch.start()

    def _restart_loop(self) -> None:
        """Docker's restart policy: a container that stops (killed, crashed) is started again."""
        while not self.stopping:
            for svc in list(self.services.values()):
                p = svc.process
                if p is None or p.poll() is None:
                    continue
                policy = svc.restart
                if policy in ("always", "unless-stopped") or (policy == "on-failure" and p.returncode != 0):
                    time.sleep(1)
                    if not self.stopping:
                        self._spawn(svc)
            time.sleep(0.5)

    def run(self, name: str, command: list[str], env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """`docker compose run --rm NAME COMMAND…`: a one-shot command in a service's environment."""
        svc = self.service(name)
        return subprocess.run(
            [self.rewrite(a) for a in command], env={**svc.env, **(env or {})}, capture_output=True, text=True, timeout=300
        )

    def kill(self, name: str) -> int:
        svc = self.service(name)
        assert svc.process is not None
        pid = svc.process.pid
        os.killpg(pid, signal.SIGKILL)
        svc.process.wait()
        return pid

    def down(self) -> None:
        self.stopping = True
        if self._watch is not None:
            self._watch.join(timeout=5)
        for svc in self.services.values():
            if svc.process is not None and svc.process.poll() is None:
                os.killpg(svc.process.pid, signal.SIGTERM)
        for svc in self.services.values():
            if svc.process is not None:
                try:
                    svc.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(svc.process.pid, signal.SIGKILL)


@dataclass
class Local:
    """Where this machine puts what the containers would have: ports on loopback, folders for the volumes, the
    secret files, a database and a Redis database of the caller's choosing."""

    dir: Path
    database: str
    redis_db: int = 0
    ports: dict[int, int] = field(default_factory=lambda: {8000: 8000, 8501: 8501, 9101: 9101})

    def rewrite(self, compose: Mapping[str, Any]) -> Callable[[str], str]:
        secrets = {
            f"/run/secrets/{k}": str(self.dir / "secrets" / Path(v["file"]).name) for k, v in compose["secrets"].items()
        }
        fixed = {
            "postgres:5432/intake": f"127.0.0.1:5432/{self.database}",
            "redis://redis:6379/0": f"redis://127.0.0.1:6379/{self.redis_db}",
            "http://api:8000": f"http://127.0.0.1:{self.ports[8000]}",
            "0.0.0.0": "127.0.0.1",
            **secrets,
        }
        folders = {"/data": self.dir / "data", "/audit": self.dir / "audit", "/backups": self.dir / "backups"}

        def rewrite(value: str) -> str:
            for old, new in fixed.items():
                value = value.replace(old, new)
            for old, path in folders.items():
                if value == old or value.startswith(old + "/"):
                    value = str(path) + value[len(old) :]
            for port, mine in self.ports.items():
                value = value if value != str(port) else str(mine)
                value = value.replace(f"127.0.0.1:{port}/", f"127.0.0.1:{mine}/")
            return value

        return rewrite


def main(argv: list[str]) -> int:
    if argv[:1] == ["check"]:
        problems = compose_problems(load()) + dockerfile_problems()
        for p in problems:
            print(p)
        print("docker-compose.yml, Dockerfile, .dockerignore: " + ("ok" if not problems else f"{len(problems)} problem(s)"))
        return 1 if problems else 0
    if argv[:1] == ["up"] and len(argv) == 2:
        here = Local(Path(argv[1]).resolve(), database="intake")
        compose = load()
        runner = Runner(compose, here.rewrite(compose), here.dir)
        subprocess.run([str(ROOT / "deploy" / "make-secrets.sh"), str(here.dir / "secrets")], check=True)
        machine = {"postgres": lambda: True, "redis": lambda: True}
        try:
            runner.up(["migrate", "api", "worker", "scheduler", "ui"], machine)
            print(f"up: API http://127.0.0.1:8000, UI http://127.0.0.1:8501, logs in {here.dir}; Ctrl-C stops")
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            return 0
        finally:
            runner.down()
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
