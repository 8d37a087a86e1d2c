using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using FpQuant.Tests.Support;
using Xunit.Abstractions;

namespace FpQuant.Tests.Corpus;

/// <summary>Skipped, with the command that installs it, where the ONNX backend test corpus is not installed.</summary>
public sealed class CorpusFactAttribute : FactAttribute
{
    public CorpusFactAttribute()
    {
        if (!OnnxBackendCorpus.Installed)
            Skip = $"the ONNX backend test corpus is not installed (no " +
                $"{OnnxBackendCorpus.Root}/{{{string.Join(",", OnnxBackendCorpus.Folders)}}}): install it with " +
                $"'{OnnxBackendCorpus.AptCommand}', as .ci/run does";
    }
}

/// <summary>
/// Every model of the ONNX backend test corpus (node, pytorch-converted, pytorch-operator, simple) the way a new user
/// would try it: `infer` on each data set against its expected outputs, then each of the presets onnx-dynamic,
/// onnx-static (calibrated on the test's own inputs, given as npy:DIR), fp16 and weights-int8, whose result must load
/// and run in ONNX Runtime and stay within the preset's tolerance of the float outputs, or be refused with one line. No
/// model may crash fpquant, hang, or come out written but broken; the table of outcomes goes to the test output (and to
/// FPQUANT_CORPUS_REPORT, a file, when set).
/// </summary>
[Trait("Category", "Corpus")]
[Trait("Category", "Heavy")]
public sealed class OnnxBackendCorpusTests
{
    private readonly ITestOutputHelper _out;
    public OnnxBackendCorpusTests(ITestOutputHelper output) { _out = output; }

    public static readonly string[] Presets = ["onnx-dynamic", "onnx-static", "fp16", "weights-int8"];

    /// <summary>The ONNX backend tests' own tolerance (onnx/backend/test/runner: rtol 1e-3, atol 1e-7).</summary>
    private const double Rtol = 1e-3, Atol = 1e-7;

    /// <summary>
    /// Where ONNX Runtime 1.31 itself (float, CPU) does not give the corpus' expected outputs within that tolerance,
    /// by test name, with the reason. The quantizer is not at fault for these; their float outputs (ONNX Runtime's)
    /// are still the reference for the presets.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> OrtDeviations =
        new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["test_bernoulli"] = Random, ["test_bernoulli_expanded"] = Random,
        ["test_bernoulli_double"] = Random, ["test_bernoulli_double_expanded"] = Random,
        ["test_bernoulli_seed"] = Random, ["test_bernoulli_seed_expanded"] = Random,
        ["test_training_dropout"] = Random, ["test_training_dropout_default"] = Random,
        ["test_training_dropout_mask"] = Random, ["test_training_dropout_default_mask"] = Random,
        ["test_cast_FLOAT_to_BFLOAT16"] = "ONNX 1.12's reference truncates float32 to bfloat16 (drops the low 16 " +
            "bits); ONNX Runtime rounds to nearest even, one bfloat16 step away where the dropped bits exceed half",
        ["test_dft"] = Fft, ["test_dft_axis"] = Fft, ["test_dft_inverse"] = Fft,
        ["test_stft"] = Fft, ["test_stft_with_window"] = Fft,
        ["test_resize_downsample_scales_cubic_align_corners"] = AlignCorners,
        ["test_resize_downsample_scales_linear_align_corners"] = AlignCorners,
        ["test_maxunpool_export_with_output_shape"] = "the expected output is invalid (onnx/onnx#2398): 8 of 25 " +
            "values differ; ONNX Runtime's own backend test runs skip this test for that reason",
    };

    private const string Random = "random output: ONNX Runtime's generator is not NumPy's, so values differ from the " +
        "stored ones (shapes and types match); the presets are checked for loading, running, shapes and types only";
    private const string AlignCorners = "ONNX Runtime's result for downsampling with align_corners differs from this " +
        "corpus' reference (ONNX Runtime's own backend test runs skip the test as \"results mismatch with onnx " +
        "tests\")";
    private const string Fft = "float32 FFT rounding: ONNX Runtime gives values of about 1e-5 (at most 1.2e-4) where " +
        "the float64 reference has exact zeros, below float32's resolution at the magnitude of the other outputs but " +
        "above atol 1e-7";

    /// <summary>Results a preset writes that are outside its tolerance for a reason of the method, not a defect, by
    /// "test/preset"; each is still required to load, run and keep its shapes.</summary>
    public static readonly IReadOnlyDictionary<string, string> PrecisionLimits =
        new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["test_softmax_large_number/onnx-static"] = "its input spans about 1e4 (logits 1 .. 10000): one u8 step of " +
            "the calibrated range is about 40, larger than the differences the softmax turns into probabilities, so " +
            "int8 activations cannot keep them",
    };

    /// <summary>
    /// How far a preset's outputs may be from the float model's, per output tensor, with s = the largest |value| of the
    /// float output and r = its range (max - min; s stands in for it on an output of one value); integer and bool
    /// outputs must match exactly.
    /// fp16: |q - f| &lt;= 2^-8 s + 2^-9 |f|: float16 keeps 11 significant bits (relative rounding 2^-11); 2^-8 s is
    /// the error of 8 such roundings of the largest value on the way (inputs, weights, each op's result, sums).
    /// int8 (dynamic, static): |q - f| &lt;= 0.05 max(r, s): activations are cut into 255 steps of their calibrated
    /// range and weights into 255 of theirs; 5 % of the output's range is about 13 steps, room for the rounding of
    /// input, weight and output and of a few ops between them.
    /// weights-int8: |q - f| &lt;= 0.02 max(r, s): only weights are rounded (255 steps per output channel), compute
    /// stays float, so the error is the weights' half step (0.2 % of each channel's largest weight) summed over a
    /// product, about 5 steps.
    /// Measured on the corpus (ONNX Runtime 1.31, CPU): the worst result used 0.76 of the int8 allowance
    /// (pytorch-converted/test_softmax_lastdim, static), 0.38 of weights-int8's, 0.16 of fp16's.
    /// </summary>
    public static (double OfScale, double OfRange, double OfValue) Tolerance(string preset) => preset switch
    {
        "fp16" => (1.0 / 256, 0, 1.0 / 512),
        "weights-int8" => (0, 0.02, 0),
        _ => (0, 0.05, 0),
    };

    private sealed record Outcome(string Case, string Stage, string Kind, string Detail);

    [CorpusFact]
    public void EveryModel_InferMatchesAndEveryPresetIsWithinToleranceOrRefusedInOneLine()
    {
        var cases = OnnxBackendCorpus.Cases();
        Assert.NotEmpty(cases);
        var outcomes = new ConcurrentBag<Outcome>();
        var settings = new RuntimeSettings { IntraOpThreads = 1 };
        var sw = Stopwatch.StartNew();
        using var tmp = new TempDir();
        var perCase =
            TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable("FPQUANT_CORPUS_CASE_SECONDS"),
                out double s) ? s : 120);
        Parallel.ForEach(cases, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, c =>
        {
            string dir = Path.Combine(tmp.Path, c.Folder + "_" + c.Name);
            var task = Task.Run(() =>
            {
                try { Evaluate(c, dir, settings, outcomes); }
                catch (Exception e) { outcomes.Add(new(c.Id, "all", "crash",
                    $"{e.GetType().Name}: {ErrorText.OneLine(e.Message, 300)} at " +
                    $"{e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}")); }
            });
            if (!task.Wait(perCase))
                outcomes.Add(new(c.Id, "all", "hang", $"not done after {perCase.TotalSeconds:F0} s"));
            else try { Directory.Delete(dir, true); } catch (IOException) { }
        });
        var all = outcomes.ToList();
        string report = Report(all, cases.Count, sw.Elapsed);
        _out.WriteLine(report);
        if (Environment.GetEnvironmentVariable("FPQUANT_CORPUS_REPORT") is { Length: > 0 } path)
            File.WriteAllText(path,
                report + "\n\n" + string.Join("\n",
                    all.OrderBy(o => o.Case, StringComparer.Ordinal).ThenBy(o => o.Stage, StringComparer.Ordinal)
                .Select(o => $"{o.Case}\t{o.Stage}\t{o.Kind}\t{o.Detail}")) + "\n");
        var failures = all.Where(o => o.Kind is "crash" or "hang" or "written-but-broken" or "outside-tolerance"
            or "infer-mismatch" or "not-one-line" or "larger-than-float").ToList();
        Assert.True(failures.Count == 0,
            $"{failures.Count} failures:\n" + string.Join("\n",
                failures.Take(60).Select(f => $"{f.Case} [{f.Stage}] {f.Kind}: {f.Detail}")));
    }

    private static void Evaluate(OnnxBackendCorpus.Case c, string dir, RuntimeSettings settings,
        ConcurrentBag<Outcome> outcomes)
    {
        Directory.CreateDirectory(dir);
        List<string> inputNames, outputNames;
        try { (inputNames, outputNames) = OnnxBackendCorpus.Names(c.ModelPath); }
        catch (Google.Protobuf.InvalidProtocolBufferException e) { outcomes.Add(new(c.Id, "infer", "corpus-unreadable",
            e.Message)); return; }
        var bf16 = OnnxBackendCorpus.BFloat16Values(c.ModelPath);
        List<(string Name, InputTensor? Value)>? firstInputs = null;
        List<string>? firstSpecs = null;
        Dictionary<string, InputTensor>? floatOutputs = null;
        for (int k = 0; k < c.DataSets.Count; k++)
        {
            string set = c.DataSets[k];
            var inputs = OnnxBackendCorpus.Read(set, "input", inputNames)
                .Select(i => (i.Name, OnnxBackendCorpus.AsStored(i.Value, bf16.Contains(i.Name)))).ToList();
            var specs = WriteInputs(inputs, Path.Combine(dir, $"in{k}"));
            var (got, error) = Infer(c.ModelPath, specs, Path.Combine(dir, $"out{k}"), settings);
            if (error != null)
            {
                outcomes.Add(error with { Case = c.Id, Stage = "infer" });
                return;
            }
            var expected = OnnxBackendCorpus.Read(set, "output", outputNames)
                .Select(i => (i.Name, Value: OnnxBackendCorpus.AsStored(i.Value, bf16.Contains(i.Name)))).ToList();
            string? mismatch = null;
            foreach (var (name, want) in expected)
            {
                if (want == null) { mismatch ??= $"expected output '{name}' is not a numeric tensor"; continue; }
                if (!got!.TryGetValue(name, out var have)) { mismatch ??= $"no output '{name}'"; continue; }
                if (mismatch != null) continue;
                mismatch =
                    Compare(have, want, (h, w) => Math.Abs(h - w) <= Atol + Rtol * Math.Abs(w), exactTypes: true);
                if (mismatch != null) mismatch = $"output '{name}': {mismatch}";
            }
            if (mismatch != null)
            {
                bool listed = OrtDeviations.ContainsKey(c.Name);
                mismatch += listed ? $" [listed: {OrtDeviations[c.Name]}]" : "";
                outcomes.Add(new(c.Id, "infer", listed ? "ort-deviation" : "infer-mismatch", mismatch));
                if (!listed) return;
            }
            if (k == 0) { firstInputs = inputs; firstSpecs = specs; floatOutputs = got; }
        }
        if (!outcomes.Any(o => o.Case == c.Id)) outcomes.Add(new(c.Id, "infer", "matches", ""));
        bool random = OrtDeviations.TryGetValue(c.Name, out var why) && why == Random;
        foreach (var preset in Presets)
        {
            var o = RunPreset(c, preset, dir, firstInputs!, firstSpecs!, floatOutputs!, settings,
                random) with { Case = c.Id, Stage = preset };
            if (o.Kind == "outside-tolerance" && PrecisionLimits.TryGetValue($"{c.Name}/{preset}", out var limit))
                o = o with { Kind = "precision-limit", Detail = $"{o.Detail} [listed: {limit}]" };
            outcomes.Add(o);
        }
    }

    private static Outcome RunPreset(OnnxBackendCorpus.Case c, string preset, string dir,
        List<(string Name, InputTensor? Value)> inputs, List<string> specs,
        Dictionary<string, InputTensor> floatOutputs, RuntimeSettings settings, bool shapesOnly)
    {
        string qPath = Path.Combine(dir, $"{preset}.onnx");
        QuantizationResult r;
        try
        {
            var model = OnnxModelFile.Load(c.ModelPath);
            var options = QuantizationPresets.Get(preset);
            // Static calibration reads the test's own inputs the way a user gives them: npy:DIR, one file per input.
            InputSource? calib = null;
            if (options.Mode == QuantMode.Static)
            {
                string calibDir = Path.Combine(dir, "calib");
                Directory.CreateDirectory(calibDir);
                foreach (var (name, value) in inputs)
                    if (value != null) NpyFile.Write(Path.Combine(calibDir, NpyInputSource.FileNameFor(name)), value);
                calib = new NpyInputSource(calibDir);
            }
            r = ModelQuantizer.Quantize(model, c.ModelPath, options, preset, calib, settings);
            ModelQuantizer.Save(r, qPath, c.ModelPath);
        }
        catch (FpQuantException e)
        {
            return OneLine(e.Message) ? new("", "", "refused", e.Message) : new("", "", "not-one-line", e.Message);
        }
        catch (Exception e)
        {
            return new("", "", "crash",
                $"quantize: {e.GetType().Name}: {ErrorText.OneLine(e.Message, 300)} at " +
                $"{e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}");
        }
        if (r.QuantizedNodes.Count == 0 && new FileInfo(qPath).Length > new FileInfo(c.ModelPath).Length)
            return new("", "", "larger-than-float",
                $"0 nodes quantized, yet {new FileInfo(qPath).Length} bytes written for " +
                $"{new FileInfo(c.ModelPath).Length}");
        var (got, error) = Infer(qPath, specs, Path.Combine(dir, $"{preset}-out"), settings);
        if (error != null)
            return error.Kind == "crash" ? error : new("", "", "written-but-broken", error.Detail);
        var (ofScale, ofRange, ofValue) = Tolerance(preset);
        string? mismatch = null;
        double worst = 0;
        foreach (var (name, want) in floatOutputs)
        {
            if (!got!.TryGetValue(name, out var have)) { mismatch = $"no output '{name}'"; break; }
            var (s, range) = ScaleAndRange(want);
            if (shapesOnly)
            {
                if (!have.Shape.SequenceEqual(want.Shape) || have.ElementType != want.ElementType)
                    mismatch = $"output '{name}': {have.TypeName} {have.ShapeText} where {want.TypeName} " +
                        $"{want.ShapeText} is expected";
                if (mismatch != null) break;
                continue;
            }
            mismatch = Compare(have, want, (q, f) =>
            {
                double err = Math.Abs(q - f),
                    allowed = ofScale * s + ofRange * Math.Max(range, s) + ofValue * Math.Abs(f) + 1e-6;
                worst = Math.Max(worst, err / allowed);
                return err <= allowed;
            },
                exactTypes: want.ElementType is not (InputElementType.Float or InputElementType.Double
                    or InputElementType.Float16 or InputElementType.BFloat16));
            if (mismatch != null) { mismatch = $"output '{name}': {mismatch}"; break; }
        }
        string nodes = r.QuantizedNodes.Count == 0 ? "nothing quantized (float model kept, noted)"
            : $"{r.QuantizedNodes.Count} nodes";
        return mismatch == null
            ? new("", "", r.QuantizedNodes.Count == 0 ? "unchanged" : "within",
                $"{nodes}; worst error {worst:F2} of the allowed")
            : new("", "", "outside-tolerance", $"{nodes}: {mismatch}");
    }

    private static (Dictionary<string, InputTensor>? Outputs, Outcome? Error) Infer(string model, List<string> specs,
        string outDir, RuntimeSettings settings)
    {
        try
        {
            ModelInference.Run(model, specs, 1, outDir, settings, npyOutputs: true);
        }
        catch (FpQuantException e)
        {
            return (null,
                OneLine(e.Message) ? new("", "", "infer-refused", e.Message) : new("", "", "not-one-line", e.Message));
        }
        catch (Exception e)
        {
            return (null,
                new("", "", "crash",
                    $"infer: {e.GetType().Name}: {ErrorText.OneLine(e.Message, 300)} at " +
                    $"{e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}"));
        }
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "outputs.json")));
        var outputs = new Dictionary<string, InputTensor>(StringComparer.Ordinal);
        foreach (var o in doc.RootElement.GetProperty("outputs").EnumerateArray())
        {
            string file = Path.Combine(outDir, o.GetProperty("file").GetString()!);
            var t = NpyFile.ReadTensor(file, NpyFile.ReadHeader(file).TensorType, "an output");
            outputs[o.GetProperty("name").GetString()!] = t;
        }
        return (outputs, null);
    }

    /// <summary>Each input as NAME=FILE.npy; an input the corpus holds as something else (a sequence, strings) is
    /// named with a file that does not exist, so that infer says what it makes of that input.</summary>
    private static List<string> WriteInputs(List<(string Name, InputTensor? Value)> inputs, string dir)
    {
        Directory.CreateDirectory(dir);
        var specs = new List<string>();
        int k = 0;
        foreach (var (name, value) in inputs)
        {
            string file = Path.Combine(dir, $"input_{k++}.npy");
            if (value != null) NpyFile.Write(file, value);
            specs.Add($"{name}={file}");
        }
        return specs;
    }

    private static (double Scale, double Range) ScaleAndRange(InputTensor t)
    {
        double max = double.NegativeInfinity, min = double.PositiveInfinity, s = 0;
        for (long i = 0; i < t.Length; i++)
        {
            double v = t.ValueAt(i);
            if (!double.IsFinite(v)) continue;
            max = Math.Max(max, v); min = Math.Min(min, v); s = Math.Max(s, Math.Abs(v));
        }
        return (s, max >= min ? max - min : 0);
    }

    /// <summary>Null when shapes (and, with <paramref name="exactTypes"/>, element types and values) agree and every
    /// element passes <paramref name="close"/> (NaN matching NaN, infinities matching exactly); else what
    /// differs.</summary>
    private static string? Compare(InputTensor have, InputTensor want, Func<double, double, bool> close,
        bool exactTypes)
    {
        // bfloat16 outputs come back as float32 .npy files (NumPy has no bfloat16).
        bool sameType = have.ElementType == want.ElementType
            || (want.ElementType == InputElementType.BFloat16 && have.ElementType == InputElementType.Float);
        if (exactTypes && !sameType) return $"type {have.TypeName} where {want.TypeName} is expected";
        if (!have.Shape.SequenceEqual(want.Shape)) return $"shape {have.ShapeText} where {want.ShapeText} is expected";
        bool integers = !want.ElementType.IsFloat();
        int bad = 0;
        string? first = null;
        for (long i = 0; i < want.Length; i++)
        {
            double h = have.ValueAt(i), w = want.ValueAt(i);
            bool ok = double.IsNaN(w) ? double.IsNaN(h) : double.IsInfinity(w) || double.IsInfinity(h) ? h == w
                : integers ? h == w : close(h, w);
            if (ok) continue;
            bad++;
            first ??= $"element {i}: {h:G6} where {w:G6} is expected";
        }
        return bad == 0 ? null : $"{bad} of {want.Length} elements differ ({first})";
    }

    private static bool OneLine(string message) => !message.Contains('\n') && !message.Contains('\r')
        && message.Length <= ErrorText.MaxLength + 200;

    /// <summary>
    /// A refusal's reason with the model's own names, paths and numbers taken out, to group refusals by.
    /// </summary>
    public static string Reason(string message)
    {
        string r = Regex.Replace(message, @"'[^']*'", "'…'");
        r = Regex.Replace(r, @"(?<![\w.])/[^\s:']+", "…");
        r = Regex.Replace(r, @"\[[^\]]*\]", "[…]");
        r = Regex.Replace(r, @"\([^()]*\)", "(…)");
        r = Regex.Replace(r, @"\d+", "N");
        return r.Length > 200 ? r[..200] + "…" : r;
    }

    private static string Report(List<Outcome> all, int cases, TimeSpan elapsed)
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"ONNX backend corpus ({OnnxBackendCorpus.Root}): {cases} models in {elapsed.TotalSeconds:F0} " +
            $"s on {Environment.ProcessorCount} cores");
        var infer = all.Where(o => o.Stage is "infer" or "all").ToList();
        sb.AppendLine("infer: " + string.Join(", ",
            infer.GroupBy(o => o.Kind).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => $"{g.Key} {g.Count()}")));
        foreach (var g in infer.Where(o => o.Kind == "infer-refused").GroupBy(o => Reason(o.Detail))
            .OrderByDescending(g => g.Count()))
            sb.AppendLine(
                $"  infer refused x{g.Count()}: {g.Key} (e.g. {string.Join(", ", g.Select(o => o.Case[(o.Case.IndexOf('/') + 1)..]).Order(StringComparer.Ordinal).Take(4))})");
        foreach (var o in infer.Where(o => o.Kind == "ort-deviation").OrderBy(o => o.Case, StringComparer.Ordinal))
            sb.AppendLine($"  ONNX Runtime deviation (listed): {o.Case}: {o.Detail}");
        // A listed deviation that does not show (another ONNX Runtime, another CPU) is said, to keep the list honest.
        var seen = infer.Where(o => o.Kind == "ort-deviation").Select(o => o.Case[(o.Case.IndexOf('/') + 1)..])
            .ToHashSet(StringComparer.Ordinal);
        var ran = all.Select(o => o.Case[(o.Case.IndexOf('/') + 1)..]).ToHashSet(StringComparer.Ordinal);
        foreach (var name in OrtDeviations.Keys.Where(n => ran.Contains(n) && !seen.Contains(n))
            .Order(StringComparer.Ordinal))
            sb.AppendLine($"  listed deviation not seen this run: {name}");
        foreach (var preset in Presets)
        {
            var p = all.Where(o => o.Stage == preset).ToList();
            sb.AppendLine($"{preset}: " + string.Join(", ",
                p.GroupBy(o => o.Kind).OrderBy(g => g.Key, StringComparer.Ordinal)
                    .Select(g => $"{g.Key} {g.Count()}")));
            foreach (var g in p.Where(o => o.Kind == "refused").GroupBy(o => Reason(o.Detail))
                .OrderByDescending(g => g.Count()))
                sb.AppendLine(
                    $"  refused x{g.Count()}: {g.Key} (e.g. {string.Join(", ", g.Select(o => o.Case[(o.Case.IndexOf('/') + 1)..]).Order(StringComparer.Ordinal).Take(4))})");
            foreach (var o in p.Where(o => o.Kind == "precision-limit").OrderBy(o => o.Case, StringComparer.Ordinal))
                sb.AppendLine($"  known precision limit (listed): {o.Case}: {o.Detail}");
        }
        return sb.ToString();
    }
}
