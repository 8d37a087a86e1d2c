using FpQuant.Core;

namespace FpQuant.Runtime;

/// <summary>Runs an ONNX model on one batch with ONNX Runtime: the library's equivalent of
/// <c>fpquant infer</c>.</summary>
public static class OnnxInference
{
    /// <summary>Runs <paramref name="modelPath"/> on <paramref name="batch"/> and returns every output as float32, in
    /// the model's output order.</summary>
    /// <param name="modelPath">The ONNX model (float or quantized).</param>
    /// <param name="batch">A tensor for every model input.</param>
    /// <param name="execution">Where ONNX Runtime runs; null for the CPU.</param>
    /// <returns>The outputs by name, in the model's order.</returns>
    /// <exception cref="FpQuantException">The model does not load or the batch does not fit its inputs.</exception>
    public static IReadOnlyList<KeyValuePair<string, FloatTensor>> Run(string modelPath, InputBatch batch,
        ExecutionOptions? execution = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        ArgumentNullException.ThrowIfNull(batch);
        using var runner = new ModelRunner(modelPath, (execution ?? new ExecutionOptions()).ToSettings());
        return runner.Run(batch).Select(o => new KeyValuePair<string, FloatTensor>(o.Name, o.Value)).ToList();
    }
}
