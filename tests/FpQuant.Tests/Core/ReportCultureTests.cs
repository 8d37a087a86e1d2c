using System.Globalization;
using System.Text.RegularExpressions;
using FpQuant.Quantization.Bench;
using FpQuant.Quantization.Sensitivity;

namespace FpQuant.Tests.Core;

/// <summary>
/// Reports are data: under a locale whose decimal separator is a comma they still write a decimal point.
/// </summary>
[Trait("Category", "Quick")]
public class ReportCultureTests
{
    private static readonly CultureInfo German = CultureInfo.GetCultureInfo("de-DE");

    private static T InGerman<T>(Func<T> make)
    {
        var saved = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = German;
        try
        {
            // Without this the test would pass for the wrong reason (a machine without locale data).
            Assert.Equal("1,5", 1.5.ToString("F1", CultureInfo.CurrentCulture));
            return make();
        }
        finally { CultureInfo.CurrentCulture = saved; }
    }

    private static OutputFidelity Fidelity() => new(41.26, 8, new(), new()
    {
        ["sqnr"] = 41.26, ["cosine"] = 0.99512, ["cosine_mean"] = 0.99876, ["top1"] = 0.875, ["top5"] = 1,
        ["rot"] = 0.125,
    });

    [Fact]
    public void OutputFidelity_Text_UsesADecimalPoint()
    {
        string text = InGerman(() => Fidelity().ToString());
        Assert.Contains("SQNR 41.3 dB", text);
        Assert.Contains("cosine min 0.9951 mean 0.9988", text);
        Assert.Contains("top1 0.875", text);
        Assert.Contains("rot 0.125", text);
        Assert.DoesNotMatch(new Regex(@"\d,\d"), text);
    }

    [Fact]
    public void ModelBenchReport_Markdown_UsesADecimalPoint()
    {
        var rows = new List<ModelBenchRow>
        {
            new("float", "none", 86.75, 0, 12.25, 11.5, 13.75, 1, Fidelity(), null),
            new("int8", "onnx-static", 22.5, 40, 6.125, 5.5, 7.26, 2.0, Fidelity(), null),
        };
        var report =
            new ModelBenchReport("model.onnx", "npy:calib", "npy:eval", 8, "1 x 19", 5, "cpu", true, 2, rows, 12.5);
        string md = InGerman(report.Markdown);
        Assert.Contains("| int8 | 22.5 | 40 | 6.1 [5.5-7.3] | 2.00x | 41.3 | 0.9951 / 0.9988 | 87.5 % / 100.0 % |", md);
        Assert.DoesNotMatch(new Regex(@"\d,\d"), md);
    }
}
