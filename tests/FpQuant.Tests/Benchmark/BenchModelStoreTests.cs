using FpQuant.Benchmark;
using FpQuant.Core;
using FpQuant.Quantization;
using FpQuant.Runtime;
using FpQuant.Tests.Support;
using FpQuant.Variants;

namespace FpQuant.Tests.Benchmark;

[Trait("Category", "Quick")]
public class BenchModelStoreTests
{
    private static readonly QuantizationOptions Auto = QuantizationPresets.Get("onnx-static");

    [Fact]
    public void QuantizedKey_HashesResolvedOptions_ProviderAndVnni()
    {
        Assert.Null(Auto.ReduceRange); // the preset leaves reduce-range on auto
        // Hashed before resolving, "auto" looked the same whether it became 7-bit or 8-bit weights.
        Assert.Throws<ArgumentException>(() =>
            BenchModelStore.QuantizedKey("f", Auto, "c", ExecutionProviderKind.Cpu, vnni: true));
        var on = Auto with { ReduceRange = true };
        var off = Auto with { ReduceRange = false };
        string Key(QuantizationOptions o, ExecutionProviderKind p, bool vnni) =>
            BenchModelStore.QuantizedKey("f", o, "c", p, vnni);
        Assert.NotEqual(Key(on, ExecutionProviderKind.Cpu, false), Key(off, ExecutionProviderKind.Cpu, false));
        Assert.NotEqual(Key(off, ExecutionProviderKind.Cpu, true), Key(off, ExecutionProviderKind.Cpu, false));
        Assert.NotEqual(Key(off, ExecutionProviderKind.Cpu, true), Key(off, ExecutionProviderKind.Cuda, true));
        Assert.NotEqual(Key(off, ExecutionProviderKind.Cuda, true), Key(off, ExecutionProviderKind.TensorRt, true));
        Assert.Equal(Key(off, ExecutionProviderKind.Cpu, true), Key(off, ExecutionProviderKind.Cpu, true));
        // Auto resolves by provider: never reduced off the CPU, so a CUDA cache entry cannot be a reduced-range model.
        Assert.False(Auto.WithResolvedReduceRange(ExecutionProviderKind.Cuda).ReduceRange);
    }

    [Fact]
    public void HashFile_IsTheHashOfTheFilesBytes_ReadAsAStream()
    {
        using var tmp = new TempDir();
        var bytes = new byte[3 * 81920 + 7];
        new Random(5).NextBytes(bytes);
        string path = tmp.File("model.onnx");
        File.WriteAllBytes(path, bytes);
        Assert.Equal(BenchModelStore.Hash(bytes), BenchModelStore.HashFile(path));
        bytes[^1] ^= 1;
        File.WriteAllBytes(path, bytes);
        Assert.Equal(BenchModelStore.Hash(bytes), BenchModelStore.HashFile(path));
    }

    [Fact]
    public void Guarded_FailsTheVariantOnlyForUserFacingErrors()
    {
        var r = new VariantResult { Name = "v", Description = "d" };
        BenchRunner.Guarded(r, () => throw new FpQuantException("model file 'x.onnx' does not exist"));
        Assert.True(r.Failed);
        Assert.Equal("model file 'x.onnx' does not exist", r.Error);

        var w = new VariantResult { Name = "w", Description = "d" };
        BenchRunner.Guarded(w, () => throw new FpQuantException("no cached start-up"), failVariant: false);
        Assert.False(w.Failed);
        Assert.Equal(new[] { "no cached start-up" }, w.Warnings);

        // A bug is not a measurement: it stops the run instead of becoming a FAILED row.
        foreach (var bug in new Exception[] { new InvalidOperationException("bug"), new ArgumentException("bug"),
            new IOException("disk") })
        {
            var b = new VariantResult { Name = "b", Description = "d" };
            Assert.Same(bug, Assert.ThrowsAny<Exception>(() => BenchRunner.Guarded(b, () => throw bug)));
            Assert.False(b.Failed);
        }
    }

    [Fact]
    public void VariantList_DefaultsAndDistinctNames()
    {
        Assert.Equal(VariantSpec.DefaultNames, VariantSpec.ParseList(null, null).Select(v => v.Name));
        Assert.Equal(new[] { "fp32", "mine" },
            VariantSpec.ParseList(null, new[] { "mine=a.onnx,b.onnx" }).Select(v => v.Name));
        Assert.Equal(new[] { "fp32", "fp16", "onnx-static" },
            VariantSpec.ParseList(new[] { "fp32,fp16", "onnx-static" }, null).Select(v => v.Name));
        Assert.Throws<FpQuantException>(() => VariantSpec.ParseList(new[] { "fp32", "fp32" }, null));
        Assert.Throws<NotSupportedException>(() => ((IList<string>)VariantSpec.DefaultNames)[0] = "changed");
    }
}
