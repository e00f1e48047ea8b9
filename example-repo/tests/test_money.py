from paylane.money import Money


def test_split_adds_up() -> None:
    parts = Money(1000, "EUR").split(3)
    assert sum(p.minor for p in parts) == 1000
