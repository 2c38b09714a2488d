"""--dhcp-hostsfile parsing and loading: comments, bad lines, directories in order."""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path

from lanctl.dhcp4.hostfiles import ethers_hosts, load, load_ethers, parse_hostsfile


def test_parse_skips_comments_and_reports_bad_lines_with_place() -> None:
    text = (
        "# reserved\n\n02:00:00:00:00:01,192.0.2.10,one\n02:00:00:00:00:03,bad_name!,192.0.2.11\n"
    )
    hosts, errors = parse_hostsfile(text, "/etc/hosts.dhcp")
    assert [h.ipv4 for h in hosts] == [IPv4Address("192.0.2.10")]
    assert len(errors) == 1 and "line 4 of /etc/hosts.dhcp" in errors[0]


def test_load_files_and_directories_in_alphabetical_order(tmp_path: Path) -> None:
    d = tmp_path / "hosts.d"
    d.mkdir()
    (d / "b").write_text("02:00:00:00:00:02,192.0.2.12\n")
    (d / "a").write_text("02:00:00:00:00:01,192.0.2.11\n")
    single = tmp_path / "single"
    single.write_text("id:01:02,192.0.2.13\n")
    hosts, messages = load([str(single), str(d), str(tmp_path / "missing")])
    assert [str(h.ipv4) for h in hosts] == ["192.0.2.13", "192.0.2.11", "192.0.2.12"]
    assert messages[0] == f"read {single}"  # dnsmasq 2.90: no count for a hosts file
    assert any(m.startswith(f"cannot read {tmp_path / 'missing'}") for m in messages)


def test_optsfile_lines_parse_like_dhcp_option(tmp_path: Path) -> None:
    from lanctl.dhcp4.hostfiles import load_opts, parse_optsfile

    text = "# opts\noption:router,192.0.2.254\noption6:dns-server,[2001:db8::1]\n42,x,y\n"
    options, errors = parse_optsfile(text, "opts")
    assert [o.code for o in options] == [3]  # the v6 line is not ours; 42 is bad
    assert len(errors) == 1 and "line 4 of opts" in errors[0]
    path = tmp_path / "opts"
    path.write_text("tag:lab,option:mtu,1400\n")
    loaded, messages = load_opts([str(path)])
    assert loaded[0].code == 26 and messages == [f"read {path}"]


def test_ethers_lines_are_dhcp_hosts(tmp_path: Path) -> None:
    text = "# ethers\n02:00:00:00:01:02 192.0.2.44\n02:00:00:00:09:09 namebox\nbad\n"
    hosts, warnings = ethers_hosts(text, "/etc/ethers")
    assert [(h.ipv4, h.hostname) for h in hosts] == [
        (IPv4Address("192.0.2.44"), None),
        (None, "namebox"),
    ]
    assert warnings == ["bad line at /etc/ethers line 4"]
    path = tmp_path / "ethers"
    path.write_text(text)
    loaded = load_ethers(str(path))
    assert list(loaded.added) == hosts and loaded.messages[-1] == f"read {path} - 2 addresses"
