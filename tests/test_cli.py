"""The command line, run as a user runs it: separate processes on a fresh data folder."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.processes import cli_env, free_port, migrated_data_folder, serve, wait_healthy


def cli(data_dir: Path, *args: str, given: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=cli_env(data_dir),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        input=given,
    )


MIGRATIONS = sorted(p.stem for p in (Path(__file__).parent.parent / "migrations").glob("0*.py"))


def test_migrate_create_staff_and_seed(tmp_path: Path) -> None:
    done = cli(tmp_path, "migrate")
    assert done.returncode == 0, done.stderr
    # an empty database: what was applied, not "up to date"
    assert done.stdout.startswith(f"Applied {len(MIGRATIONS)} migrations to sqlite://"), done.stdout
    assert done.stdout.rstrip().endswith(": " + ", ".join(MIGRATIONS))
    again = cli(tmp_path, "migrate")  # a second run changes nothing, and says so
    assert again.returncode == 0
    assert again.stdout.startswith("Database is up to date (nothing to apply): sqlite://")

    def create_staff(email: str, password: str, role: str) -> subprocess.CompletedProcess[str]:
        return cli(
            tmp_path,
            "create-staff",
            "--email",
            email,
            "--password-stdin",
            "--role",
            role,
            given=password + "\n",
        )

    made = create_staff("Boss@Shop.test", "long password 1", "ADMIN")
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == "Created ADMIN staff member boss@shop.test"
    again = create_staff("boss@shop.test", "long password 1", "ADMIN")
    assert again.returncode == 1
    assert "EMAIL_TAKEN" in again.stderr
    weak = create_staff("x@shop.test", "short", "SUPPORT")
    assert weak.returncode == 1
    assert "password" in weak.stderr

    assert cli(tmp_path, "seed-demo").stdout.strip() == "Demo data created."
    assert cli(tmp_path, "seed-demo").stdout.strip() == "Demo data is already there."


LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"


def test_serve_demo_end_to_end(tmp_path: Path) -> None:
    """The README's first command: demo data, printed logins that work, orders to list."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = serve(tmp_path, port, "--demo", capture=True, fresh=True)  # from nothing
    try:
        wait_healthy(url, process)
        process.terminate()
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert f"GraphiQL at {url}/graphql" in output
    logins = re.findall(r"^\s+(ADMIN|CUSTOMER)\s+(\S+@\S+)\s+(\S+)$", output, re.M)
    assert len(logins) == 2

    # Start it again (demo data is kept, not duplicated) and use the printed logins.
    process = serve(tmp_path, port, "--demo")
    try:
        wait_healthy(url, process)
        counts = {}
        for role, email, password in logins:
            login = httpx.post(
                f"{url}/graphql",
                json={
                    "query": LOGIN,
                    "variables": {"e": email, "p": password},
                },
            ).json()
            token = login["data"]["login"]["token"]
            orders = httpx.post(
                f"{url}/graphql",
                json={"query": "{ orders(first: 50) { totalCount } }"},
                headers={"Authorization": f"Bearer {token}"},
            ).json()
            counts[role] = orders["data"]["orders"]["totalCount"]
        assert counts == {"ADMIN": 4, "CUSTOMER": 2}
        # the worker runs in-process on the embedded Valkey: a packing slip gets rendered
        admin = httpx.post(
            f"{url}/graphql",
            json={"query": LOGIN, "variables": {"e": logins[0][1], "p": logins[0][2]}},
        ).json()["data"]["login"]["token"]
        auth = {"Authorization": f"Bearer {admin}"}
        first = httpx.post(
            f"{url}/graphql",
            json={"query": "{ orders(first: 4) { edges { node { id } } } }"},
            headers=auth,
        ).json()["data"]["orders"]["edges"]
        made = httpx.post(
            f"{url}/graphql",
            json={
                "query": "mutation($ids: [ID!]!) { generateDocuments(orderIds: $ids, "
                "kind: PACKING_SLIP) { document { id } } }",
                "variables": {"ids": [e["node"]["id"] for e in first]},
            },
            headers=auth,
        ).json()["data"]["generateDocuments"]["document"]
        deadline = time.monotonic() + 30
        while True:
            document = httpx.post(
                f"{url}/graphql",
                json={
                    "query": "query($id: ID!) { document(id: $id) { status url pageCount } }",
                    "variables": {"id": made["id"]},
                },
                headers=auth,
            ).json()["data"]["document"]
            if document["status"] == "READY":
                break
            assert time.monotonic() < deadline, document
            time.sleep(0.2)
        assert document["pageCount"] == 4
        pdf = httpx.get(f"{url}{document['url']}", headers=auth)
        assert pdf.content.startswith(b"%PDF")
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_one_serve_per_data_folder_and_recovery_after_a_kill(tmp_path: Path) -> None:
    """A second serve on the same data folder says why it stops; after the first is killed
    (no clean shutdown), its left-over Valkey is shut down and serve starts again."""
    port = free_port()
    first = serve(tmp_path, port)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", first)
        second = cli(tmp_path, "serve", "--port", str(free_port()))
        assert second.returncode != 0
        assert "Another BitCart Orders process is using" in second.stderr
        first.kill()  # SIGKILL: its Valkey child is left running
        first.wait(30)
        third = serve(tmp_path, port)
        try:
            wait_healthy(f"http://127.0.0.1:{port}", third)
        finally:
            third.terminate()
            third.wait(30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(30)


def test_email_links_follow_the_address_serve_listens_on(tmp_path: Path) -> None:
    """Without BITCART_PUBLIC_URL, the demo's order emails (sent by the in-process worker
    into the outbox folder) link to this server's tracking pages, on its own port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = serve(tmp_path, port, "--demo", capture=True, env={"BITCART_PUBLIC_URL": ""})
    try:
        wait_healthy(url, process)
        outbox = tmp_path / "outbox"
        deadline = time.monotonic() + 30
        while not (outbox.is_dir() and any(outbox.glob("*-order_placed.eml"))):
            assert time.monotonic() < deadline, "no email was written"
            time.sleep(0.2)
        message = next(outbox.glob("*-order_placed.eml")).read_text()
        link = re.search(r"http://\S+/track/\S+", message)
        assert link is not None
        assert link.group(0).startswith(f"{url}/track/")
        page = httpx.get(link.group(0).rstrip('"<>'))
        assert page.status_code == 200
        assert "<h1>Order 10" in page.text
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert f"links in customer emails: {url} (BITCART_PUBLIC_URL)" in output


def test_the_public_url_is_the_setting_or_where_serve_listens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dataclasses import replace

    from app.cli import with_public_url
    from app.settings import get_settings

    base = replace(get_settings(), public_url="http://localhost:8000")
    monkeypatch.delenv("BITCART_PUBLIC_URL", raising=False)
    assert with_public_url(base, "127.0.0.1", 8155).public_url == "http://127.0.0.1:8155"
    assert with_public_url(base, "0.0.0.0", 80).public_url == "http://127.0.0.1:80"
    assert with_public_url(base, "::1", 8155).public_url == "http://[::1]:8155"
    assert with_public_url(base, "shop.test", 9000).public_url == "http://shop.test:9000"
    monkeypatch.setenv("BITCART_PUBLIC_URL", "https://shop.example")
    assert with_public_url(base, "127.0.0.1", 8155) is base


@pytest.mark.parametrize(
    ("setting", "url", "said"),
    [
        ("DATABASE_URL", "postgres://shop:hunter2@127.0.0.1:{port}/shop", "the database at"),
        ("REDIS_URL", "redis://:hunter2@127.0.0.1:{port}/0", "Redis at"),
    ],
)
def test_serve_says_plainly_which_dependency_does_not_answer(
    tmp_path: Path, setting: str, url: str, said: str
) -> None:
    """A database or Redis that is not there is one clear error naming it, where it was
    looked for (no password) and the setting to check: no traceback, exit code 2."""
    closed = url.format(port=free_port())  # nothing listens there
    env = {**cli_env(migrated_data_folder(tmp_path)), setting: closed}
    answer = subprocess.run(
        [sys.executable, "-m", "app", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert answer.returncode == 2, answer.stderr[-2000:]
    assert "Traceback" not in answer.stdout + answer.stderr
    assert "hunter2" not in answer.stdout + answer.stderr
    lines = answer.stderr.strip().splitlines()
    assert lines[-2].startswith(f"error: {said} ")
    assert "is not answering" in lines[-2]
    assert ":***@127.0.0.1" in lines[-2]
    assert setting in lines[-1]
