"""The id a window sends a save with: kept while the save is the same, new otherwise."""

from __future__ import annotations

from incidentdesk.ui.save_ids import SaveIds


def test_the_same_save_keeps_its_id_and_a_different_one_gets_a_new_id() -> None:
    ids = SaveIds()
    first = ids.for_attempt(("INC-1", "Checkout returns 502"))
    assert ids.for_attempt(("INC-1", "Checkout returns 502")) == first
    second = ids.for_attempt(("INC-1", "Checkout returns 502 for cards"))
    assert second != first
    assert ids.for_attempt(("INC-1", "Checkout returns 502")) not in {first, second}


def test_ids_fit_what_the_database_keeps() -> None:
    write_id = SaveIds().for_attempt(None)
    assert 1 <= len(write_id) <= 64
    assert SaveIds().for_attempt(None) != write_id  # another window: another save


def test_once_answered_the_same_save_again_is_a_new_one() -> None:
    ids = SaveIds()
    first = ids.for_attempt(("INC-1", "Alert on pool usage"))
    ids.saved(first)
    assert ids.for_attempt(("INC-1", "Alert on pool usage")) != first


def test_the_answer_to_an_earlier_save_keeps_the_id_of_the_one_being_sent() -> None:
    ids = SaveIds()
    earlier = ids.for_attempt(("INC-1", "Alert on pool usage"))
    later = ids.for_attempt(("INC-1", "Rotate the keys"))
    ids.saved(earlier)
    assert ids.for_attempt(("INC-1", "Rotate the keys")) == later


def test_a_save_of_another_kind_in_between_keeps_the_id_of_the_one_sent_again() -> None:
    """An action item whose reply was lost, then a status set (answered), then the item
    sent again: the same id, so it is not added twice."""
    ids = SaveIds()
    item = ids.for_attempt(("INC-1", "Rotate the keys"), what="new action item")
    status = ids.for_attempt(("Done", "Open"), what=("status", 7))
    ids.saved(status)
    assert ids.for_attempt(("INC-1", "Rotate the keys"), what="new action item") == item


def test_each_kind_of_save_has_its_own_latest_attempt() -> None:
    ids = SaveIds()
    first = ids.for_attempt("Done", what=("status", 7))
    ids.for_attempt("Done", what=("status", 8))
    assert ids.for_attempt("Done", what=("status", 7)) == first
    assert ids.for_attempt("Cancelled", what=("status", 7)) != first
