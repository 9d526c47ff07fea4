"""EC57-style scoring and reports."""

from cardiowatch.evaluate.match import MATCH_WINDOW_S, DetectionScore, match_beats, score_detection

__all__ = ["MATCH_WINDOW_S", "DetectionScore", "match_beats", "score_detection"]
