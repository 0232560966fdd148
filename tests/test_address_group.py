import pytest

from config.api.throttling import address_group


@pytest.mark.parametrize(
    "address, group",
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::FFFF", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),  # an IPv4 client on a dual-stack socket
        ("", ""),
        (None, ""),
        ("not-an-address", "not-an-address"),
    ],
)
def test_a_quota_counts_an_ipv4_address_or_an_ipv6_64(address, group):
    assert address_group(address) == group


def test_two_hosts_of_one_64_share_a_group_and_the_next_64_does_not():
    assert address_group("2001:db8:0:1::1") == address_group("2001:db8:0:1:ffff::2")
    assert address_group("2001:db8:0:1::1") != address_group("2001:db8:0:2::1")
