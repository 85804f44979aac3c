"""The SSRF guard (newsbridge.targets): pure, with a fake resolver instead of DNS."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from newsbridge.targets import Target, check_url, system_resolver
from newsbridge.errors import InvalidInput

PUBLIC_V4 = "93.184.215.14"
PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"


class FakeResolver:
    """Answers from a table, one answer list per call in turn (the last one repeats); counts calls."""

    def __init__(self, answers: dict[str, Sequence[Sequence[str]]]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        turns = self.answers[host]
        return list(turns[min(len(self.calls) - 1, len(turns) - 1)])


def resolving(host: str, *addresses: str) -> FakeResolver:
    return FakeResolver({host: [addresses]})


def refused(url: str, allow: Sequence[str] = (), resolver: FakeResolver | None = None) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        check_url(url, allow, resolver or resolving("unused.example"))
    assert caught.value.field == "url"
    return caught.value


PRIVATE = [
    pytest.param("127.0.0.1", id="loopback"),
    pytest.param("127.255.0.9", id="loopback-range"),
    pytest.param("10.0.0.1", id="10/8"),
    pytest.param("10.255.255.254", id="10/8-top"),
    pytest.param("172.16.0.1", id="172.16/12"),
    pytest.param("172.31.255.254", id="172.16/12-top"),
    pytest.param("192.168.1.20", id="192.168/16"),
    pytest.param("169.254.169.254", id="link-local-metadata"),
    pytest.param("100.64.0.1", id="cgnat"),
    pytest.param("100.127.255.254", id="cgnat-top"),
    pytest.param("224.0.0.251", id="multicast-v4"),
    pytest.param("239.255.255.250", id="multicast-v4-ssdp"),
    pytest.param("0.0.0.0", id="unspecified-v4"),
    pytest.param("255.255.255.255", id="broadcast"),
    pytest.param("::1", id="loopback-v6"),
    pytest.param("::", id="unspecified-v6"),
    pytest.param("fe80::1", id="link-local-v6"),
    pytest.param("fc00::1", id="ula-fc"),
    pytest.param("fd12:3456::1", id="ula-fd"),
    pytest.param("ff02::1", id="multicast-v6"),
    pytest.param("ff0e::1", id="multicast-v6-global-scope"),
    pytest.param("::ffff:127.0.0.1", id="v4-mapped-loopback"),
    pytest.param("::ffff:10.0.0.1", id="v4-mapped-private"),
    pytest.param("64:ff9b::7f00:1", id="nat64-loopback"),
    pytest.param("64:ff9b::a00:1", id="nat64-10/8"),
    pytest.param("64:ff9b::a9fe:a9fe", id="nat64-metadata"),
    pytest.param("2002:7f00:1::", id="6to4-loopback"),
    pytest.param("2002:c0a8:101::1", id="6to4-192.168"),
    pytest.param("2001:0:4136:e378:8000:63bf:80ff:fffe", id="teredo-loopback"),
]


@pytest.mark.parametrize("address", PRIVATE)
def test_refuses_private_address_literals(address: str) -> None:
    host = f"[{address}]" if ":" in address else address
    message = refused(f"http://{host}/hook").message
    assert "NEWSBRIDGE_ALLOW_PRIVATE_TARGETS" in message  # says what the operator can do


@pytest.mark.parametrize("address", PRIVATE)
def test_refuses_names_that_resolve_to_private_addresses(address: str) -> None:
    resolver = resolving("partner.example", address)
    refused("https://partner.example/hook", resolver=resolver)
    assert resolver.calls == [("partner.example", 443)]


@pytest.mark.parametrize("answers", [
    pytest.param((PUBLIC_V4, "10.0.0.5"), id="public-then-private"),
    pytest.param(("10.0.0.5", PUBLIC_V4), id="private-then-public"),
    pytest.param((PUBLIC_V6, "::1"), id="public-v6-then-loopback"),
    pytest.param((PUBLIC_V4, "fe80::1%eth0"), id="public-then-scoped-link-local"),
])
def test_refuses_a_name_with_any_private_answer(answers: tuple[str, ...]) -> None:
    refused("https://mixed.example/hook", resolver=resolving("mixed.example", *answers))


def test_refuses_a_name_without_addresses() -> None:
    refused("https://empty.example/", resolver=resolving("empty.example"))


@pytest.mark.parametrize("address", [
    PUBLIC_V4, "8.8.8.8", "1.1.1.1", PUBLIC_V6, "2001:4860:4860::8888",
    "64:ff9b::808:808",  # NAT64 of a public address
])
def test_allows_public_addresses(address: str) -> None:
    target = check_url("https://news.example/hook", resolver=resolving("news.example", address))
    assert target == Target("https://news.example/hook", "https", "news.example", 443, address)


@pytest.mark.parametrize(("url", "allow"), [
    ("http://10.1.2.3:8080/hook", ("10.0.0.0/8",)),
    ("http://192.168.7.7/hook", ("192.168.0.0/16",)),
    ("http://127.0.0.1:9000/hook", ("127.0.0.0/8",)),
    ("http://[fd00::5]/hook", ("fd00::/8",)),
    ("http://100.64.3.3/hook", ("100.64.0.0/10",)),
    ("http://172.20.0.2/hook", ("10.0.0.0/8", "172.16.0.0/12")),
    ("http://10.1.2.3/hook", ("10.1.2.3",)),  # a single address, no prefix length
])
def test_allows_private_ranges_the_operator_listed(url: str, allow: tuple[str, ...]) -> None:
    assert check_url(url, allow, resolving("unused.example")).address in url


@pytest.mark.parametrize(("url", "allow"), [
    ("http://10.1.2.3/hook", ("192.168.0.0/16",)),
    ("http://127.0.0.1/hook", ("10.0.0.0/8",)),
    ("http://10.1.2.4/hook", ("10.1.2.3",)),
    ("http://[::1]/hook", ("127.0.0.0/8",)),
])
def test_allow_list_covers_only_its_ranges(url: str, allow: tuple[str, ...]) -> None:
    refused(url, allow)


@pytest.mark.parametrize("address", ["172.15.255.254", "172.32.0.1", "100.63.255.254", "100.128.0.1",
                                     "192.169.0.1", "11.0.0.1"])
def test_neighbours_of_private_ranges_are_public(address: str) -> None:
    assert check_url(f"http://{address}/hook", resolver=resolving("unused.example")).address == address


def test_allowed_name_resolving_to_allowed_private_range() -> None:
    resolver = resolving("intranet.example", "192.168.1.5", PUBLIC_V4)
    target = check_url("http://intranet.example/hook", ("192.168.0.0/16",), resolver)
    assert target.address == "192.168.1.5"


def test_bad_allow_list_names_the_setting() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_url("http://10.0.0.1/", ("not-a-cidr",), resolving("unused.example"))
    assert caught.value.field == "NEWSBRIDGE_ALLOW_PRIVATE_TARGETS"


@pytest.mark.parametrize("url", [
    "ftp://news.example/hook",
    "file:///etc/passwd",
    "gopher://news.example:70/",
    "javascript:alert(1)",
    "news.example/hook",  # no scheme
    "http:///hook",  # no host
    "https://",
    "http://news.example:99999/",  # port out of range
    "http://news.example:port/",
    "",
])
def test_refuses_other_schemes_and_malformed_urls(url: str) -> None:
    refused(url, resolver=resolving("news.example", PUBLIC_V4))


@pytest.mark.parametrize("url", [
    "https://user:secret@news.example/hook",
    "https://user@news.example/hook",
    "https://:secret@news.example/hook",
])
def test_refuses_credentials_in_the_url(url: str) -> None:
    assert "credentials" in refused(url, resolver=resolving("news.example", PUBLIC_V4)).message


@pytest.mark.parametrize(("url", "port"), [
    ("http://news.example/hook", 80),
    ("https://news.example/hook", 443),
    ("https://news.example:8443/hook", 8443),
])
def test_default_ports(url: str, port: int) -> None:
    resolver = resolving("news.example", PUBLIC_V4)
    assert check_url(url, resolver=resolver).port == port
    assert resolver.calls == [("news.example", port)]


@pytest.mark.parametrize(("url", "address", "expected"), [
    ("https://news.example/in/hook?x=1#f", PUBLIC_V4, f"https://{PUBLIC_V4}:443/in/hook?x=1#f"),
    ("http://news.example:8080/hook", PUBLIC_V4, f"http://{PUBLIC_V4}:8080/hook"),
    ("https://news.example/hook", PUBLIC_V6, f"https://[{PUBLIC_V6}]:443/hook"),
    ("http://[2001:4860:4860::8888]:81/h", "2001:4860:4860::8888", "http://[2001:4860:4860::8888]:81/h"),
])
def test_connect_url_puts_the_checked_address_in_place_of_the_host(url: str, address: str, expected: str) -> None:
    target = check_url(url, resolver=resolving("news.example", address))
    assert target.connect_url() == expected
    assert target.host in url  # Host header and TLS SNI keep the name


def test_a_second_dns_answer_cannot_redirect_the_connection() -> None:
    """DNS rebinding: the first answer is public, a later one loopback. The hub resolves once and
    connects to the address it checked, so the later answer never matters."""
    resolver = FakeResolver({"rebind.example": [[PUBLIC_V4], ["127.0.0.1"]]})
    target = check_url("https://rebind.example/hook", resolver=resolver)
    assert target.address == PUBLIC_V4
    assert target.connect_url() == f"https://{PUBLIC_V4}:443/hook"
    assert len(resolver.calls) == 1
    assert resolver("rebind.example", 443) == ["127.0.0.1"]  # what a second lookup would have said
    assert target.connect_url() == f"https://{PUBLIC_V4}:443/hook"


def test_literal_addresses_are_not_resolved() -> None:
    resolver = resolving("unused.example")
    check_url(f"https://{PUBLIC_V4}/hook", resolver=resolver)
    check_url(f"https://[{PUBLIC_V6}]/hook", resolver=resolver)
    assert resolver.calls == []


@pytest.mark.parametrize("url", [
    "http://2130706433/",  # 127.0.0.1 as one decimal number
    "http://0x7f000001/",  # ... in hex
    "http://0177.0.0.1/",  # ... in octal
    "http://127.1/",  # ... shortened
    "http://localhost/",
])
def test_numeric_spellings_of_loopback_are_refused_by_the_system_resolver(url: str) -> None:
    """ipaddress does not read these spellings, so they go to getaddrinfo, which does (no network needed)."""
    with pytest.raises(InvalidInput) as caught:
        check_url(url, resolver=system_resolver)
    assert caught.value.field == "url"
