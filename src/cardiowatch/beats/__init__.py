"""Beat features and the AAMI beat classifier (ONNX inference; training is an optional extra)."""
