"""cardiowatch: real-time arrhythmia detection from a home-built ECG/PPG sensor.

Not a medical device: cardiowatch is for learning and tinkering, not for diagnosis or treatment.
"""

__version__ = "0.1.0"

NOT_A_MEDICAL_DEVICE = (
    "cardiowatch is not a medical device. It does not diagnose, treat or prevent any disease; "
    "do not rely on it for medical decisions."
)
