"""Issue 18: every subcommand answers --help with its options, and an unknown option names the
subcommand's usage. Each option the help lists is passed to the subcommand with a missing
configuration file: the arguments are read first, so the answer must be the configuration
error, not "unknown option" (an option listed but not taken fails here)."""
import re
import subprocess

import pytest

from proxy_process import proxy_binary

MISSING = "/nonexistent/tandem-help-test.yaml"

# subcommand -> the words before the options (its action), and a value for each option that
# takes one (the placeholder the usage prints after it).
SUBCOMMANDS = {
    "proxy": [],
    "backfill": [],
    "schema": ["diff"],
    "validate": [],
    "cutover": ["check"],
}
VALUES = {"FILE": MISSING, "ID": "worker-1", "ks.t": "ks.t", "ks": "ks", "F": "0.5", "N": "7"}


def tandem(*args, stdin=b""):
    return subprocess.run([proxy_binary(), *args], capture_output=True, input=stdin, timeout=60)


def listed_options(usage: str):
    """(option, placeholder or None) for each line of the usage's options section."""
    section = usage.split("\noptions:\n", 1)[1]
    found = []
    for line in section.splitlines():
        m = re.match(r"^  (?:-h, )?(--[a-z-]+)(?: ([A-Za-z.]+))?\s", line + " ")
        if m:
            found.append((m.group(1), m.group(2)))
    return found


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_help_lists_the_options_and_each_is_taken(command):
    r = tandem(command, "--help")
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr.decode()
    assert out.startswith(f"usage: tandem {command}"), out
    options = listed_options(out)
    names = [o for o, _ in options]
    assert "--config" in names and "--help" in names, names
    for option, placeholder in options:
        if option in ("--help", "--config"):
            continue
        args = [command, *SUBCOMMANDS[command], option]
        if placeholder:
            args.append(VALUES[placeholder])
        args += ["--config", MISSING]
        r = tandem(*args)
        err = r.stderr.decode()
        assert r.returncode == 2, (args, r.returncode, err)
        assert "unknown option" not in err, (args, err)
        assert "configuration error" in err and MISSING in err, (args, err)


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_an_unknown_option_is_named_with_the_usage(command):
    r = tandem(command, *SUBCOMMANDS[command], "--no-such-option")
    err = r.stderr.decode()
    assert r.returncode == 2, err
    assert f"tandem {command}: unknown option '--no-such-option'" in err, err
    assert f"usage: tandem {command}" in err, err
    assert r.stdout == b""


def test_the_overview_names_every_subcommand_and_points_at_their_help():
    r = tandem("--help")
    out = r.stdout.decode()
    assert r.returncode == 0
    for command in [*SUBCOMMANDS, "version", "frames", "status"]:
        assert re.search(rf"^  {command}\b", out, re.M), (command, out)
    assert "tandem <command> --help" in out
    r = tandem("no-such-command")
    assert r.returncode == 2
    assert "unknown command 'no-such-command'" in r.stderr.decode()


def test_frames_help_and_its_options():
    r = tandem("frames", "--help")
    assert r.returncode == 0 and r.stdout.decode().startswith("usage: tandem frames")
    # An OPTIONS request, v4, stream 1, as hex: decoded with --hex.
    r = tandem("frames", "--hex", "-", stdin=b"04 00 00 01 05 00 00 00 00\n")
    assert r.returncode == 0, r.stderr.decode()
    assert "v4 request OPTIONS stream=1" in r.stdout.decode()
    r = tandem("frames", "--bogus")
    assert r.returncode == 2 and "tandem frames: unknown option '--bogus'" in r.stderr.decode()


def test_status_help_and_an_unknown_option():
    # Its options are exercised against a running proxy in test_status_command.py.
    r = tandem("status", "--help")
    out = r.stdout.decode()
    assert r.returncode == 0 and out.startswith("usage: tandem status"), out
    assert {o for o, _ in listed_options(out)} >= {"--admin", "--config", "--token", "--watch",
                                                    "--interval", "--json", "--no-cutover"}
    r = tandem("status", "--bogus")
    assert r.returncode == 2 and "tandem status: unknown option '--bogus'" in r.stderr.decode()
