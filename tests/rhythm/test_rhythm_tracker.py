"""RhythmTracker: AF episodes, rate rhythms, ventricular patterns, pauses, bad input, chunk invariance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cardiowatch.errors import SignalError
from cardiowatch.rhythm.af import af_beat_features
from cardiowatch.rhythm.model import load_af_model
from cardiowatch.rhythm.summary import analyze_rhythm, episodes_to_annotations
from cardiowatch.rhythm.tracker import RhythmTracker

from rhythm_synthetic import FS, af_rr, beats_from_rr, sinus_rr


def _run(beats, labels=None, cuts=None, **kw):
    tracker = RhythmTracker(fs=FS, **kw)
    out = []
    if cuts is None:
        out += tracker.process(beats, labels)
    else:
        edges = np.r_[0, np.minimum(np.cumsum(np.asarray(cuts, dtype=np.int64)), len(beats)), len(beats)].astype(np.int64)
        for a, b in zip(edges[:-1], edges[1:]):
            out += tracker.process(beats[a:b], None if labels is None else labels[a:b])
    out += tracker.flush()
    return tracker, out


def test_tracker_finds_one_af_episode_with_boundaries_near_the_truth(sinus_af_sinus) -> None:
    beats, af_start, af_end = sinus_af_sinus
    tracker, _ = _run(beats)
    af = [e for e in tracker.episodes() if e.rhythm == "AFIB"]
    assert len(af) == 1
    assert abs(af[0].start_sample - af_start) / FS < 10.0
    assert abs(af[0].end_sample - af_end) / FS < 10.0
    assert [e.rhythm for e in tracker.episodes()] == ["N", "AFIB", "N"]


def test_af_is_reported_after_lookahead_and_confirmation_beats_only(sinus_af_sinus) -> None:
    beats, af_start, _ = sinus_af_sinus
    model = load_af_model()
    tracker, _ = _run(beats)
    change = next(c for c in tracker.changes() if c.rhythm == "AFIB")
    longest_af_rr_s = 1.05
    bound_s = (model.lookahead + model.min_af_beats + 4) * longest_af_rr_s
    assert 0 <= (change.detected_sample - af_start) / FS <= bound_s
    assert change.detected_sample >= change.sample


def test_regular_sinus_rhythm_raises_no_af_and_no_events(rng) -> None:
    beats = beats_from_rr(sinus_rr(rng, 3000))
    tracker, out = _run(beats)
    assert [e.rhythm for e in tracker.episodes()] == ["N"]
    assert tracker.events() == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(0, 300), max_size=20))
def test_chunked_processing_equals_whole(sinus_af_sinus, cuts) -> None:
    beats, _, _ = sinus_af_sinus
    labels = np.where(np.arange(len(beats)) % 97 < 3, "V", "N").astype(object)  # a few V runs
    whole, _ = _run(beats, labels)
    chunked, _ = _run(beats, labels, cuts=cuts)
    assert chunked.changes() == whole.changes()
    assert chunked.events() == whole.events()
    assert chunked.episodes() == whole.episodes()


class _RecordingTracker(RhythmTracker):
    """Keeps the AF score of every decided beat."""

    def reset(self) -> None:
        super().reset()
        self.scores_: list[np.ndarray] = []

    def _candidates(self, ctx, rr_ctx, n, score, rate):
        self.scores_.append(np.array(score))
        return super()._candidates(ctx, rr_ctx, n, score, rate)


@pytest.mark.parametrize("with_classes", [False, True])
@pytest.mark.parametrize("chunk", [1, 37, 10_000])
def test_tracker_uses_the_same_windows_as_the_training_features(sinus_af_sinus, chunk, with_classes) -> None:
    beats, _, _ = sinus_af_sinus
    # with classes, the intervals around ventricular beats are left out of the windows on both sides
    labels = np.where(np.arange(len(beats)) % 13 == 5, "V", "N").astype(object) if with_classes else None
    model = load_af_model()
    features, _, decided = af_beat_features(beats, fs=FS, window=model.window, lookahead=model.lookahead,
                                            label=labels)
    tracker = _RecordingTracker(fs=FS)
    tracker.reset()
    for i in range(0, len(beats), chunk):
        tracker.process(beats[i : i + chunk], None if labels is None else labels[i : i + chunk])
    assert tracker.n_ectopic_rr_ == (2 * int((labels == "V").sum()) if with_classes else 0)
    streamed = np.concatenate(tracker.scores_)
    n = int(decided.sum())
    assert len(streamed) == n  # the undecided tail waits for flush
    np.testing.assert_array_equal(streamed, model.af_score(features[decided]))


def test_slow_and_fast_sustained_rates_are_sbr_and_svta(rng) -> None:
    rr = np.r_[sinus_rr(rng, 200, mean_s=0.8), sinus_rr(rng, 200, mean_s=1.4), sinus_rr(rng, 300, mean_s=0.5)]
    tracker, _ = _run(beats_from_rr(rr))
    assert [e.rhythm for e in tracker.episodes()] == ["N", "SBR", "SVTA"]


def test_brady_and_tachy_thresholds_are_configurable(rng) -> None:
    beats = beats_from_rr(sinus_rr(rng, 300, mean_s=1.1))  # 55 bpm
    default, _ = _run(beats)
    strict, _ = _run(beats, brady_bpm=60.0)
    assert [e.rhythm for e in default.episodes()] == ["N"]
    assert [e.rhythm for e in strict.episodes()] == ["SBR"]


def test_ventricular_couplet_run_and_vt_are_reported(rng) -> None:
    rr = sinus_rr(rng, 300)
    labels = np.full(300, "N", dtype=object)
    labels[100:102] = "V"  # couplet
    labels[150:156] = "V"  # run of 6
    rr[151:156] = 0.45  # at 133 bpm: VT
    tracker, _ = _run(beats_from_rr(rr), labels)
    kinds = [(e.kind, e.n_beats) for e in tracker.events()]
    assert kinds == [("COUPLET", 2), ("VT_ONSET", 3), ("VRUN", 6)]
    assert "VT" in [e.rhythm for e in tracker.episodes()]


def test_a_fast_ventricular_run_is_told_at_its_third_beat_and_a_slow_one_never(rng) -> None:
    rr = sinus_rr(rng, 300)
    labels = np.full(300, "N", dtype=object)
    labels[100:140] = "V"  # sustained: 40 beats at 133 bpm
    rr[101:140] = 0.45
    labels[200:205] = "V"  # idioventricular: 5 beats at 67 bpm
    rr[201:205] = 0.9
    beats = beats_from_rr(rr)
    tracker, _ = _run(beats, labels, cuts=[7] * 50)
    onsets = [e for e in tracker.events() if e.kind == "VT_ONSET"]
    assert [(e.sample, e.detected_sample) for e in onsets] == [(beats[100], beats[102])]
    assert [(e.kind, e.n_beats) for e in tracker.events() if e.kind == "VRUN"] == [("VRUN", 40), ("VRUN", 5)]


def test_a_run_read_into_noise_raises_no_ventricular_event(rng) -> None:
    rr = sinus_rr(rng, 300)
    rr[101:140] = 0.3
    labels = np.full(300, "N", dtype=object)
    labels[100:140] = "Q"  # noise at 200 bpm
    labels[150:154] = ["V", "Q", "V", "V"]  # a noisy beat splits the run
    rr[151:154] = 0.45
    tracker, _ = _run(beats_from_rr(rr), labels)
    assert [e.kind for e in tracker.events() if e.kind not in ("PAUSE",)] == ["COUPLET"]


def test_a_ventricular_run_inside_af_interrupts_it_briefly(rng) -> None:
    rr = np.r_[sinus_rr(rng, 150), af_rr(rng, 600), sinus_rr(rng, 200)]
    labels = np.full(len(rr), "N", dtype=object)
    labels[450:455] = "V"
    rr[451:455] = 0.45  # 133 bpm: VT
    tracker, _ = _run(beats_from_rr(rr), labels)
    assert [e.rhythm for e in tracker.episodes()] == ["N", "AFIB", "VT", "AFIB", "N"]
    back = [c for c in tracker.changes() if c.rhythm == "AFIB"][1]
    beats = beats_from_rr(rr)
    # AF resumes at the first beat after the run, confirmed within a few beats plus the look-ahead
    assert back.sample == beats[455]
    assert back.detected_sample <= beats[455 + 8 + load_af_model().lookahead + 2]


def test_intervals_around_ventricular_beats_are_left_out_of_the_af_windows(rng) -> None:
    rr = sinus_rr(rng, 800)
    ectopic = np.arange(20, 780, 4)  # frequent PVCs with varying coupling and full compensatory pauses
    coupling = rng.uniform(0.45, 0.85, len(ectopic))
    base = rr[ectopic].copy()
    rr[ectopic], rr[ectopic + 1] = base * coupling, base * (2 - coupling)
    labels = np.full(len(rr), "N", dtype=object)
    labels[ectopic] = "V"
    scores = {}
    for name, lab in (("classes", labels), ("intervals", None)):
        tracker = _RecordingTracker(fs=FS)
        tracker.process(beats_from_rr(rr), lab)
        tracker.flush()
        scores[name] = np.concatenate(tracker.scores_)
        assert tracker.n_ectopic_rr_ == (2 * len(ectopic) if lab is not None else 0)
    # from intervals alone such ectopy looks irregular; with classes the windows hold sinus intervals only
    model = load_af_model()
    assert scores["intervals"].max() > model.score_threshold(0.5)
    assert scores["classes"].max() < model.score_threshold(0.3)


def test_ventricular_bigeminy_does_not_hold_decisions_back(rng) -> None:
    # every interval of bigeminy touches a V beat, so none enters the AF windows; decisions still come
    # on time (the intervals time them), here the bigeminy after MIN_BEATS["B"] beats plus the look-ahead
    labels = np.full(600, "N", dtype=object)
    labels[101:400:2] = "V"
    beats = beats_from_rr(sinus_rr(rng, 600))
    tracker, _ = _run(beats, labels)
    bigeminy = next(c for c in tracker.changes() if c.rhythm == "B")
    assert bigeminy.detected_sample <= beats[100 + 8 + load_af_model().lookahead + 4]


def test_bigeminy_is_reported_from_beat_classes(rng) -> None:
    labels = np.full(400, "N", dtype=object)
    labels[101:300:2] = "V"
    tracker, _ = _run(beats_from_rr(sinus_rr(rng, 400)), labels)
    assert [e.rhythm for e in tracker.episodes()] == ["N", "B", "N"]


def test_pause_and_asystole_events(rng) -> None:
    rr = sinus_rr(rng, 200)
    rr[80] = 2.5
    rr[150] = 5.0
    tracker, _ = _run(beats_from_rr(rr))
    assert [e.kind for e in tracker.events()] == ["PAUSE", "ASYSTOLE"]
    assert tracker.events()[1].end_sample - tracker.events()[1].sample == pytest.approx(5.0 * FS, abs=2)


def test_advance_to_raises_asystole_once_while_no_beat_arrives(rng) -> None:
    beats = beats_from_rr(sinus_rr(rng, 100))
    tracker = RhythmTracker(fs=FS)
    tracker.process(beats)
    last = int(beats[-1])
    assert tracker.advance_to(last + int(3 * FS)) == []
    raised = tracker.advance_to(last + int(4.5 * FS))
    assert [e.kind for e in raised] == ["ASYSTOLE"]
    assert tracker.advance_to(last + int(6 * FS)) == []
    late = tracker.process(np.array([last + int(7 * FS)]))
    assert [e for e in late if getattr(e, "kind", "") == "ASYSTOLE"] == []


def test_bad_beat_times_are_dropped_and_counted_without_crash(rng) -> None:
    beats = beats_from_rr(sinus_rr(rng, 300)).astype(float)
    beats[50] = np.nan
    beats[120] = beats[119]  # duplicate
    beats[200] = beats[198] - 5  # out of order
    tracker, _ = _run(beats)
    assert tracker.n_dropped_ == 3
    assert [e.rhythm for e in tracker.episodes()] == ["N"]


def test_implausible_intervals_are_excluded_and_counted(rng) -> None:
    beats = beats_from_rr(sinus_rr(rng, 300))
    extra = beats[100:110] + int(0.1 * FS)  # double detections 100 ms after real beats
    tracker, _ = _run(np.sort(np.r_[beats, extra]))
    assert tracker.n_invalid_rr_ == 10
    assert "AFIB" not in [e.rhythm for e in tracker.episodes()]


def test_empty_chunks_and_short_records_are_fine(rng) -> None:
    tracker = RhythmTracker(fs=FS)
    assert tracker.process(np.array([], dtype=np.int64)) == []
    tracker.process(beats_from_rr(sinus_rr(rng, 5)))
    tracker.flush()
    assert tracker.episodes() == []


def test_misuse_raises_typed_errors(rng) -> None:
    tracker = RhythmTracker(fs=FS)
    with pytest.raises(SignalError):
        tracker.process(np.zeros((2, 2)))
    with pytest.raises(SignalError):
        tracker.process(np.array([1, 2]), ["N"])
    tracker.flush()
    with pytest.raises(RuntimeError):
        tracker.process(np.array([10]))
    with pytest.raises(SignalError):
        RhythmTracker(fs=0.0).reset()


def test_episodes_become_wfdb_rhythm_annotations(sinus_af_sinus) -> None:
    beats, _, _ = sinus_af_sinus
    result = analyze_rhythm(beats, fs=FS)
    sample, notes = episodes_to_annotations(result.changes)
    assert notes == ["(N", "(AFIB", "(N"]
    assert np.all(np.diff(sample) > 0)
    assert set(sample) <= set(beats)


def test_a_marked_gap_raises_no_pause_or_asystole_and_keeps_the_rhythm(rng) -> None:
    beats = beats_from_rr(sinus_rr(rng, 400))
    beats[200:] += int(10 * FS)  # 10 s without signal after beat 199
    tracker = RhythmTracker(fs=FS)
    tracker.process(beats[:200])
    tracker.mark_gap()
    assert tracker.advance_to(int(beats[199] + 8 * FS)) == []
    tracker.process(beats[200:])
    tracker.flush()
    assert tracker.events() == []
    assert [e.rhythm for e in tracker.episodes()] == ["N"]


def test_the_same_hole_without_a_gap_mark_is_an_asystole(rng) -> None:
    beats = beats_from_rr(sinus_rr(rng, 400))
    beats[200:] += int(10 * FS)
    tracker, _ = _run(beats)
    assert [e.kind for e in tracker.events()] == ["ASYSTOLE"]


@settings(max_examples=60, deadline=None)
@given(
    times=st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**9)),
                   max_size=300),
    cut=st.integers(0, 300),
)
def test_arbitrary_beat_times_never_crash_and_give_ordered_output(times, cut) -> None:
    values = np.array(times, dtype=np.float64)
    labels = np.where(np.arange(len(values)) % 3 == 0, "V", "N").astype(object)
    tracker = RhythmTracker(fs=FS)
    tracker.process(values[:cut], labels[:cut])
    tracker.advance_to(10**9)
    tracker.process(values[cut:], labels[cut:])
    tracker.flush()
    starts = [c.sample for c in tracker.changes()]
    assert starts == sorted(starts)
    assert tracker.n_dropped_ + tracker.n_beats_ == len(values)
    assert all(e.end_sample >= e.sample for e in tracker.events())


def _noisy_middle_rr(rng: np.random.Generator) -> np.ndarray:
    middle = af_rr(rng, 400)
    middle[::50] = 2.4
    return np.r_[sinus_rr(rng, 300), middle, sinus_rr(rng, 300)]


def test_unclassifiable_beats_raise_no_af_and_no_pause(rng) -> None:
    # Sinus rhythm whose middle 400 beats were seen in noise: irregular times, missed beats (2.4 s),
    # all labelled Q. Their intervals say nothing about the atrial rhythm or a pause.
    beats = beats_from_rr(_noisy_middle_rr(rng))
    labels = np.array(["N"] * 300 + ["Q"] * 400 + ["N"] * 300, dtype=object)

    tracker, _ = _run(beats, labels)

    assert [e.rhythm for e in tracker.episodes()] == ["N"]
    assert [e.kind for e in tracker.events()] == []


def test_the_same_irregular_beats_labelled_normal_read_as_af_with_pauses(rng) -> None:
    beats = beats_from_rr(_noisy_middle_rr(rng))

    tracker, _ = _run(beats, np.array(["N"] * 1000, dtype=object))

    assert "AFIB" in [e.rhythm for e in tracker.episodes()]
    assert "PAUSE" in [e.kind for e in tracker.events()]


def test_asystole_after_an_unclassifiable_beat_is_still_raised(rng) -> None:
    beats = beats_from_rr(np.r_[sinus_rr(rng, 50), 6.0, sinus_rr(rng, 10)])
    labels = np.array(["N"] * 49 + ["Q"] + ["N"] * 11, dtype=object)

    tracker, _ = _run(beats, labels)

    assert [e.kind for e in tracker.events()] == ["ASYSTOLE"]


def _vt_shapes(rng, n: int, *, alike: bool) -> np.ndarray:
    """Beat shape rows: one wide monophasic complex (slightly jittered and shifted) or unlike noise."""
    t = np.arange(32, dtype=np.float64)
    rows = np.empty((n, len(t)))
    for i in range(n):
        if alike:
            shift = rng.integers(-2, 3)
            rows[i] = np.exp(-0.5 * ((t - 16 - shift) / 4.0) ** 2) + rng.normal(0, 0.03, len(t))
        else:
            rows[i] = rng.normal(0, 1, len(t))
    return rows


def _noise_then_run(rng, *, alike: bool):
    """Noise (Q beats), then 2 s later a fast 6-beat V run whose beats are alike or not."""
    rr = sinus_rr(rng, 300)
    labels = np.full(300, "N", dtype=object)
    labels[90:100] = "Q"
    rr[101:103] = 1.0  # the run starts 2 s after the last Q beat
    labels[102:108] = "V"
    rr[103:108] = 0.45  # 133 bpm
    shapes = np.full((300, 32), np.nan)
    shapes[102:108] = _vt_shapes(rng, 6, alike=alike)
    return beats_from_rr(rr), labels, shapes


def test_a_noise_built_run_of_unlike_beats_raises_no_vt_onset(rng) -> None:
    beats, labels, shapes = _noise_then_run(rng, alike=False)
    tracker = RhythmTracker(fs=FS)
    tracker.process(beats, labels, shapes)
    tracker.flush()
    kinds = [e.kind for e in tracker.events()]
    assert "VT_ONSET" not in kinds
    assert ("VRUN", 6) in [(e.kind, e.n_beats) for e in tracker.events()]  # the run itself is still told
    assert "VT" not in [e.rhythm for e in tracker.episodes()]  # nor is a VT rhythm built of its beats


def test_a_monomorphic_fast_run_near_noise_raises_vt_onset_at_its_third_beat(rng) -> None:
    beats, labels, shapes = _noise_then_run(rng, alike=True)
    tracker = RhythmTracker(fs=FS)
    for a in range(0, len(beats), 7):  # in chunks: the same result
        tracker.process(beats[a:a + 7], labels[a:a + 7], shapes[a:a + 7])
    tracker.flush()
    onsets = [e for e in tracker.events() if e.kind == "VT_ONSET"]
    assert [(e.sample, e.detected_sample) for e in onsets] == [(beats[102], beats[104])]
    assert [(e.rhythm, e.start_sample) for e in tracker.episodes() if e.rhythm == "VT"] == [("VT", beats[102])]


def test_a_run_of_unlike_beats_away_from_noise_still_raises_vt_onset(rng) -> None:
    # polymorphic VT: only runs that start near noise need alike beats
    beats, labels, shapes = _noise_then_run(rng, alike=False)
    labels[90:100] = "N"
    tracker = RhythmTracker(fs=FS)
    tracker.process(beats, labels, shapes)
    tracker.flush()
    assert [e.detected_sample for e in tracker.events() if e.kind == "VT_ONSET"] == [beats[104]]


def test_a_near_noise_run_alerts_once_its_last_three_beats_look_alike(rng) -> None:
    beats, labels, shapes = _noise_then_run(rng, alike=True)
    shapes[102] = rng.normal(0, 1, 32)  # the first beat is an extra detection in noise
    tracker = RhythmTracker(fs=FS)
    tracker.process(beats, labels, shapes)
    tracker.flush()
    assert [e.detected_sample for e in tracker.events() if e.kind == "VT_ONSET"] == [beats[105]]


def test_shape_similarity_tolerates_a_shift_and_rejects_unknown_shapes(rng) -> None:
    from cardiowatch.rhythm.tracker import shape_similarity

    t = np.arange(32, dtype=np.float64)
    beat = np.exp(-0.5 * ((t - 16) / 3.0) ** 2)
    assert shape_similarity(beat, np.roll(beat, 2)) > 0.99
    assert shape_similarity(beat, rng.normal(0, 1, 32)) < 0.7
    assert shape_similarity(beat, np.full(32, np.nan)) == -1.0
    assert shape_similarity(beat, beat[:10]) == -1.0


def test_shapes_must_have_one_row_per_beat() -> None:
    tracker = RhythmTracker(fs=FS)
    with pytest.raises(SignalError):
        tracker.process(np.array([10, 200]), np.array(["V", "V"], dtype=object), np.zeros((3, 8)))


@pytest.mark.parametrize("alike", [True, False])
def test_the_near_noise_run_rule_gives_the_same_output_in_any_chunking(rng, alike: bool) -> None:
    beats, labels, shapes = _noise_then_run(rng, alike=alike)
    shapes[104] = rng.normal(0, 1, 32)  # when alike: the last three look alike from the run's sixth beat on

    def run(cuts):
        tracker = RhythmTracker(fs=FS)
        edges = np.r_[0, np.cumsum(cuts)]
        out = []
        for a, b in zip(edges[:-1], edges[1:]):
            out += tracker.process(beats[a:b], labels[a:b], shapes[a:b])
        out += tracker.flush()
        return out, [(e.rhythm, e.start_sample) for e in tracker.episodes()]

    whole = run([len(beats)])
    onsets = [e.detected_sample for e in whole[0] if getattr(e, "kind", None) == "VT_ONSET"]
    assert onsets == ([beats[107]] if alike else [])
    for _ in range(5):
        cuts = rng.integers(0, 9, 200)
        cuts = np.r_[cuts[np.cumsum(cuts) < len(beats)], len(beats)]
        cuts[-1] = len(beats) - cuts[:-1].sum()
        assert run(cuts) == whole
