"""Beat features and the AAMI beat classifier (ONNX inference; training lives in ``training/``)."""

from cardiowatch.beats.classifier import (
    BeatClassifier,
    BeatClassifierStage,
    ClassifiedBeat,
    ecg_classify_beats,
)
from cardiowatch.beats.features import (
    FEATURE_NAMES,
    BeatFeatureExtractor,
    BeatFeatures,
    EcgBeatFeatureStage,
    beat_features,
    ecg_beat_features,
)

__all__ = [
    "FEATURE_NAMES", "BeatClassifier", "BeatClassifierStage", "BeatFeatureExtractor", "BeatFeatures",
    "ClassifiedBeat", "EcgBeatFeatureStage", "beat_features", "ecg_beat_features", "ecg_classify_beats",
]
