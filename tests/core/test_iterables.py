import pytest

from paydesk.core.iterables import chunked


def test_chunked_slices_in_order() -> None:
    assert list(chunked([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]
    assert list(chunked([], 3)) == []


def test_chunked_refuses_a_non_positive_size() -> None:
    with pytest.raises(ValueError, match="chunk size must be at least 1, got 0"):
        list(chunked([1], 0))
