using FpQuant.Core;
using FpQuant.Inputs;
using FpQuant.Quantization;
using FpQuant.Quantization.Sensitivity;

/// <summary>
/// The README's other "Use it from C#" calls, compiled with the sample (against the packed package, too, by
/// QuantizeSampleTests) so the README cannot show code that does not build; the program does not run them.
/// ReadmeSampleTests checks the README's second snippet is the body of <see cref="Show"/>.
/// </summary>
internal static class OtherCalls
{
    internal static void Show(float[] pixels)
    {
        // No samples needed:
        OnnxQuantizer.Quantize("model.onnx", "model.dyn.onnx", QuantizationPresets.OnnxDynamic);

        // Samples already in memory: one InputBatch (input name -> tensor, samples on axis 0) per run of the model.
        var batch = new InputBatch(("input", new InputTensor([8, 3, 224, 224], pixels)));
        OnnxQuantizer.Quantize("model.onnx", "model.int8.onnx", QuantizationPresets.OnnxStatic,
            ModelInputs.FromBatches([batch]));

        // The fastest recipe within a fidelity budget (namespace FpQuant.Quantization.Sensitivity):
        var search = AutoQuant.Search("model.onnx", "model.auto.onnx", ModelInputs.FromNpy("calib"),
            new AutoQuantOptions { Budget = new Dictionary<string, double> { ["cosine"] = 0.99 } });
        Console.WriteLine(search.Met ? $"chosen: {search.Chosen!.Name}" : "nothing beats float within the budget");
    }
}
