using Onnx;

namespace FpQuant.Quantization.Preprocessing;

/// <summary>A model made ready for quantization, with one line per change made to it.</summary>
internal sealed record PreparedModel(ModelProto Model, IReadOnlyList<string> Notes);
