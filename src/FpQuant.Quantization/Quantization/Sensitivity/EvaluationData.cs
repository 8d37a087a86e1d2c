using FpQuant.Core;
using FpQuant.Quantization.Calibration;
using Onnx;

namespace FpQuant.Quantization.Sensitivity;

/// <summary>
/// The data of a sensitivity analysis or autoquant search, split three ways: what calibrates the ranges, the search
/// group the search judges by, and held-out samples that neither saw, on which the budget is checked at the end.
/// </summary>
internal sealed record EvaluationData(InputSource Calibration, IReadOnlyList<Dictionary<string, InputTensor>> Search,
    IReadOnlyList<Dictionary<string, InputTensor>> HeldOut, string HeldOutDescription)
{
    /// <summary>
    /// With an evaluation source, the held-out samples are all of its batches and the calibration source is used
    /// whole. Without one, the calibration batches are split (when there are at least two): the last quarter (at least
    /// one batch) is held out and only the rest calibrates and searches. The search group is the first
    /// <paramref name="searchBatches"/> batches of the calibration part.
    /// </summary>
    public static EvaluationData Split(ModelProto model, string source, InputSource calibration,
        InputSource? evaluation, int searchBatches)
    {
        if (searchBatches <= 0)
            throw new FpQuantException($"the search group needs at least one batch, got {searchBatches}");
        if (evaluation != null)
        {
            var search = calibration.Batches(model, source).Take(searchBatches).ToList();
            if (search.Count == 0)
                throw new FpQuantException($"the calibration data ({calibration.Description}) gave no batches");
            var held = evaluation.Batches(model, source).ToList();
            if (held.Count == 0)
                throw new FpQuantException($"the evaluation data ({evaluation.Description}) gave no batches");
            return new EvaluationData(calibration, search, held, evaluation.Description);
        }
        var all = calibration.Batches(model, source).ToList();
        if (all.Count == 0)
            throw new FpQuantException($"the calibration data ({calibration.Description}) gave no batches");
        if (all.Count < 2)
            return new EvaluationData(new InMemoryInputSource(all, calibration.Description),
                all.Take(searchBatches).ToList(),
                Array.Empty<Dictionary<string, InputTensor>>(),
                "none: the calibration data gives one batch (give more samples, a smaller batch size, or evaluation " +
                "data of its own)");
        int heldCount = Math.Max(1, all.Count / 4);
        var calib = all.Take(all.Count - heldCount).ToList();
        var heldOut = all.Skip(all.Count - heldCount).ToList();
        int samples = heldOut.Sum(b => b.Values.First().Samples);
        return new EvaluationData(new InMemoryInputSource(calib,
            $"{calibration.Description} (the first {calib.Count} of {all.Count} batches)"),
            calib.Take(searchBatches).ToList(), heldOut,
            $"the last {heldCount} of {all.Count} batches of the calibration data ({samples} samples, not used to " +
            $"calibrate or search)");
    }

    /// <summary>
    /// No held-out samples: the search group is also where the budget is checked (the old behaviour).
    /// </summary>
    public static EvaluationData SearchOnly(ModelProto model, string source, InputSource calibration, int searchBatches)
    {
        var search = calibration.Batches(model, source).Take(searchBatches).ToList();
        if (search.Count == 0) throw new FpQuantException("the calibration source gave no batches to evaluate on");
        return new EvaluationData(calibration, search, Array.Empty<Dictionary<string, InputTensor>>(), "none");
    }

    public int SearchSamples => Search.Sum(b => b.Values.First().Samples);
    public int HeldOutSamples => HeldOut.Sum(b => b.Values.First().Samples);
}
