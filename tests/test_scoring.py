"""Unit tests of the benchmark metric (benchmarks/scoring.py)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import scoring
from benchmarks.scoring import PageCounts, aggregate, match, shingles

BENCHMARK = Path("/work/shared/benchmarks/article-extraction-benchmark")


def test_tokens_are_word_runs_with_case_and_vietnamese_letters() -> None:
    assert scoring.tokenize("Đọc thêm: tin-tức, 2024!") == ["Đọc", "thêm", "tin", "tức", "2024"]
    assert scoring.tokenize(None) == []


def test_shingles_are_a_multiset_of_4grams() -> None:
    assert shingles("a b c d e") == Counter({("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1})
    assert shingles("a b c d a b c d") == Counter(
        {
            ("a", "b", "c", "d"): 2,
            ("b", "c", "d", "a"): 1,
            ("c", "d", "a", "b"): 1,
            ("d", "a", "b", "c"): 1,
        }
    )


def test_short_text_is_one_short_shingle_and_empty_text_none() -> None:
    assert shingles("a b") == Counter({("a", "b"): 1})
    assert shingles("a b c d") == Counter({("a", "b", "c", "d"): 1})
    assert shingles("  ,. ") == Counter()


def test_identical_texts_score_one() -> None:
    text = "The quick brown fox jumps over the lazy dog again and again."
    counts = match(text, text)
    assert counts == PageCounts(1.0, 0.0, 0.0)
    scores = aggregate([counts, match("x y z w v", "x y z w v")])
    assert (scores.precision, scores.recall, scores.f1) == (1.0, 1.0, 1.0)


def test_disjoint_texts_score_zero() -> None:
    counts = match("one two three four five", "six seven eight nine ten")
    assert counts == PageCounts(0.0, 0.5, 0.5)
    scores = aggregate([counts])
    assert (scores.precision, scores.recall, scores.f1) == (0.0, 0.0, 0.0)


def test_repeated_prediction_counts_each_copy() -> None:
    # Gold has the shingle once, the prediction twice: one tp and one fp, not two tp.
    counts = match("a b c d", "a b c d. a b c d")
    # pred shingles: abcd x2, bcda, cdab, dabc -> tp 1, fp 4, fn 0
    assert counts.tp == pytest.approx(1 / 5)
    assert counts.fp == pytest.approx(4 / 5)
    assert counts.fn == 0.0
    assert counts.precision == pytest.approx(0.2)
    assert counts.recall == 1.0


def test_empty_prediction_is_left_out_of_precision_but_zero_recall() -> None:
    good = match("a b c d e", "a b c d e")
    empty = match("a b c d e", "")
    assert empty == PageCounts(0.0, 0.0, 1.0)
    scores = aggregate([good, empty])
    assert scores.precision == 1.0  # only the page with tp+fp > 0
    assert scores.recall == 0.5
    assert scores.f1 == pytest.approx(2 * 1.0 * 0.5 / 1.5)


def test_both_empty_page_counts_nowhere_and_nothing_predicted_is_zero() -> None:
    both_empty = match("", None)
    assert both_empty == PageCounts(0.0, 0.0, 0.0)
    assert both_empty.precision == 1.0 and both_empty.recall == 1.0
    scores = aggregate([both_empty, match("a b c d e", "a b c d e")])
    assert (scores.precision, scores.recall) == (1.0, 1.0)
    # Nothing predicted anywhere: no page qualifies for precision; reported as 0.
    nothing = aggregate([match("a b c d e", ""), match("f g h i", None)])
    assert (nothing.precision, nothing.recall, nothing.f1) == (0.0, 0.0, 0.0)


def test_prediction_on_empty_gold_has_zero_recall_excluded() -> None:
    counts = match("", "some predicted words here")
    assert counts == PageCounts(0.0, 1.0, 0.0)
    assert counts.precision == 0.0
    scores = aggregate([counts, match("a b c d e", "a b c d e")])
    assert scores.precision == 0.5
    assert scores.recall == 1.0  # the empty-gold page has tp+fn == 0


def test_hand_computed_example() -> None:
    # Page 1: gold "a b c d e f" -> abcd bcde cdef; pred "a b c d e x" -> abcd bcde cdex
    # -> tp 2, fp 1, fn 1 -> 0.5/0.25/0.25, P = R = 2/3.
    page1 = match("a b c d e f", "a b c d e x")
    assert page1.tp == pytest.approx(0.5)
    assert page1.fp == pytest.approx(0.25)
    assert page1.fn == pytest.approx(0.25)
    # Page 2: gold "p q r s t", pred "p q r s t u v": gold pqrs qrst; pred pqrs qrst rstu stuv
    # -> tp 2, fp 2, fn 0 -> P = 0.5, R = 1.
    page2 = match("p q r s t", "p q r s t u v")
    assert page2.precision == pytest.approx(0.5)
    assert page2.recall == 1.0
    scores = aggregate([page1, page2])
    precision = (2 / 3 + 0.5) / 2
    recall = (2 / 3 + 1.0) / 2
    assert scores.precision == pytest.approx(precision)
    assert scores.recall == pytest.approx(recall)
    assert scores.f1 == pytest.approx(2 * precision * recall / (precision + recall))
    # F1 of the means, not the mean of per-page F1s.
    assert scores.f1 != pytest.approx((2 / 3 + 2 * 0.5 / 1.5) / 2)


def test_case_matters() -> None:
    assert match("Alpha beta gamma delta", "alpha beta gamma delta").tp == 0.0


def test_score_texts_treats_missing_predictions_as_empty() -> None:
    scores = scoring.score_texts({"1": "a b c d e", "2": "f g h i j"}, {"1": "a b c d e"})
    assert scores.pages == 2
    assert (scores.precision, scores.recall) == (1.0, 0.5)


def test_load_article_bodies_unwraps_versioned_outputs(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    path.write_text(
        json.dumps({"version": "1", "output": {"a": {"articleBody": "x"}, "b": {}}}),
        encoding="utf-8",
    )
    assert scoring.load_article_bodies(path) == {"a": "x", "b": ""}


@pytest.mark.skipif(not BENCHMARK.is_dir(), reason="shared benchmark data not present")
def test_shipped_trafilatura_output_scores_published_f1() -> None:
    gold = scoring.load_article_bodies(BENCHMARK / "ground-truth.json")
    shipped = scoring.load_article_bodies(BENCHMARK / "output" / "trafilatura.json")
    scores = scoring.score_texts(gold, shipped)
    assert round(scores.f1, 3) == 0.958
    assert round(scores.precision, 3) == 0.938
    assert round(scores.recall, 3) == 0.978


# --- field comparisons -------------------------------------------------------------------


def test_title_fold_is_nfc_and_whitespace_only() -> None:
    decomposed = "Ha\u0300 Ti\u0303nh"  # "Hà Tĩnh" in NFD
    assert scoring.title_matches("Hà  Tĩnh\n", decomposed)
    assert not scoring.title_matches("Hà Tĩnh", "hà tĩnh")
    assert not scoring.title_matches("Hà Tĩnh", None)


def test_date_same_instant_in_another_offset_is_right() -> None:
    gold = "2024-05-01T08:30:00+07:00"
    assert scoring.date_matches(gold, "2024-05-01T01:30:00+00:00")
    assert scoring.date_matches(gold, "2024-05-01T08:30+07:00")
    assert scoring.date_matches(gold, "2024-05-01T08:30:00")  # naive read as +07:00
    assert not scoring.date_matches(gold, "2024-05-01T08:31:00+07:00")
    assert not scoring.date_matches(gold, "2024-05-01T08:30:00+00:00")


def test_date_only_answer_is_wrong_when_the_page_gives_a_time() -> None:
    assert not scoring.date_matches("2024-05-01T08:30:00+07:00", "2024-05-01")
    assert scoring.date_matches("2024-05-01", "2024-05-01")
    assert scoring.date_matches("2024-05-01", "2024-05-01T23:00:00+07:00")
    assert not scoring.date_matches("2024-05-01", "2024-05-02")
    assert not scoring.date_matches("2024-05-01", None)
    assert not scoring.date_matches("2024-05-01", "not a date")
    assert scoring.date_matches(None, None)


def test_authors_are_compared_as_sets() -> None:
    assert scoring.authors_match(["Trường Sơn", "Thu Hà"], ["Thu Hà", "Trường Sơn"])
    assert not scoring.authors_match(["Trường Sơn"], ["TRƯỜNG SƠN"])
    assert not scoring.authors_match(["Trường Sơn"], [])
    assert scoring.authors_match([], [])


def test_leaks_count_only_beyond_the_gold_text() -> None:
    gold = "Chia sẻ với phóng viên, ông A nói.\nẢnh minh họa cầu mới"
    text = "Chia sẻ với phóng viên, ông A nói. Chia sẻ Xem thêm Xem thêm Cầu mới khánh thành"
    needles = [*scoring.BOILERPLATE_STRINGS, "Cầu mới khánh thành", "Ảnh minh họa cầu mới", ""]
    leaks = scoring.count_leaks(text, needles, gold)
    assert leaks == {"Chia sẻ": 1, "Xem thêm": 2, "Cầu mới khánh thành": 1}
    assert scoring.count_leaks("xem thêm", ["Xem thêm"], "") == {}  # case-sensitive
