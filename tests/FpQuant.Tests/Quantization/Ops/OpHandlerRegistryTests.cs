using System.Collections;
using System.Reflection;
using FpQuant.Quantization.Dynamic;
using FpQuant.Quantization.Handlers;
using FpQuant.Quantization.WeightOnly;

namespace FpQuant.Tests.Quantization.Ops;

/// <summary>
/// The op-handler registries and the tests follow each other: every op a registry has a handler for has a test class
/// named after it (static: {Op}HandlerTests, dynamic: Dynamic{Op}HandlerTests, weight-only: WeightOnly{Op}HandlerTests)
/// or a direct test named in <see cref="DirectTests"/>; no such class or entry outlives its handler.
/// </summary>
[Trait("Category", "Quick")]
public class OpHandlerRegistryTests
{
    private static readonly (string Mode, Type Registry, string ClassPrefix)[] Registries =
    [
        ("static", typeof(OpQuantizers), ""),
        ("dynamic", typeof(DynamicOpQuantizers), "Dynamic"),
        ("weight-only", typeof(WeightOnlyOpQuantizers), "WeightOnly"),
    ];

    /// <summary>Handlers tested before the per-handler classes existed: (mode, op) -> the test that covers
    /// it.</summary>
    private static readonly Dictionary<(string Mode, string Op), (Type Class, string Method)> DirectTests = new()
    {
        [("static", "Conv")] = (typeof(OpRewriteTests), nameof(OpRewriteTests.Conv_WithinScaleBound)),
        [("static", "MatMul")] = (typeof(OpRewriteTests),
            nameof(OpRewriteTests.MatMul_ConstWeight_PerColumnScales_WithinBound)),
        [("static", "Gemm")] = (typeof(OpRewriteTests), nameof(OpRewriteTests.Gemm_TransB_PerChannelAxis0_WithinBound)),
        [("static", "Add")] = (typeof(OpRewriteTests),
            nameof(OpRewriteTests.Add_IsQuantized_LayerNormalizationStaysFloat)),
        [("static", "Relu")] = (typeof(OpRewriteTests),
            nameof(OpRewriteTests.ConvRelu_ReluIsFoldedAndOutputsAreClamped)),
        [("static", "Softmax")] = (typeof(OpRewriteTests),
            nameof(OpRewriteTests.MatMulOfActivations_ThenSoftmax_WithinBound)),
        [("static", "ConvTranspose")] = (typeof(AnyModelRewriteTests),
            nameof(AnyModelRewriteTests.ConvTranspose_IsQuantized_PerOutputChannelOnAxis1_WithinTheScaleBound)),
        [("static", "Gather")] = (typeof(AnyModelRewriteTests),
            nameof(AnyModelRewriteTests.EmbeddingGather_PicksIntegerRows_WithinHalfAStep)),
        [("dynamic", "Conv")] = (typeof(AnyModelRewriteTests),
            nameof(AnyModelRewriteTests.DynamicConv_OfAnyRank_KeepsTheShapeAndStaysWithinTheScaleBound)),
        [("dynamic", "MatMul")] = (typeof(OpRewriteTests), nameof(OpRewriteTests.Dynamic_MatMul_WithinPerRunBound)),
        [("dynamic", "Gather")] = (typeof(AnyModelRewriteTests),
            nameof(AnyModelRewriteTests.EmbeddingGather_PicksIntegerRows_WithinHalfAStep)),
        [("weight-only", "Conv")] = (typeof(OpRewriteTests),
            nameof(OpRewriteTests.WeightsOnly_KeepsFloatCompute_AndShrinksWeights)),
        [("weight-only", "ConvTranspose")] = (typeof(AnyModelRewriteTests),
            nameof(AnyModelRewriteTests.ConvTranspose_IsQuantized_PerOutputChannelOnAxis1_WithinTheScaleBound)),
        [("weight-only", "Gather")] = (typeof(AnyModelRewriteTests),
            nameof(AnyModelRewriteTests.EmbeddingGather_PicksIntegerRows_WithinHalfAStep)),
    };

    /// <summary>The op types a registry has handlers for: the keys of its (private) table of handlers, which also
    /// holds the ops left out of the mode's default list (dynamic Gather).</summary>
    private static List<string> HandledOps(Type registry)
    {
        var tables = registry.GetFields(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
            .Select(f => f.GetValue(null)).OfType<IDictionary>().ToList();
        var table = Assert.Single(tables);
        return table.Keys.Cast<string>().ToList();
    }

    private static bool IsTest(MethodInfo m) => m.GetCustomAttributes<FactAttribute>(inherit: true).Any();

    [Fact]
    public void EveryOpHandlerHasATestClass()
    {
        var testClasses = typeof(OpHandlerRegistryTests).Assembly.GetTypes()
            .Where(t => t.IsClass && t.GetMethods().Any(IsTest))
            .ToDictionary(t => t.Name, StringComparer.Ordinal);
        var missing = new List<string>();
        var handled = new HashSet<(string, string)>();
        foreach (var (mode, registry, prefix) in Registries)
        {
            var ops = HandledOps(registry);
            Assert.NotEmpty(ops);
            foreach (var op in ops)
            {
                handled.Add((mode, op));
                if (testClasses.ContainsKey($"{prefix}{op}HandlerTests")) continue;
                if (DirectTests.TryGetValue((mode, op), out var direct))
                {
                    var method = direct.Class.GetMethod(direct.Method);
                    Assert.True(method != null && IsTest(method),
                        $"{direct.Class.Name}.{direct.Method}, named for {mode} {op}, is not a test");
                    continue;
                }
                missing.Add($"{mode} {op} (no class {prefix}{op}HandlerTests)");
            }
        }
        Assert.True(missing.Count == 0, "op handlers without a test class: " + string.Join(", ", missing));

        // Nothing outlives its handler: a {Op}HandlerTests class or a map entry for an op no registry handles.
        var stale = DirectTests.Keys.Where(k => !handled.Contains(k))
            .Select(k => $"map entry {k.Mode} {k.Op}").ToList();
        foreach (var name in testClasses.Keys.Where(n => n.EndsWith("HandlerTests", StringComparison.Ordinal)))
        {
            string op = name[..^"HandlerTests".Length];
            bool known = Registries.Any(r => op.StartsWith(r.ClassPrefix, StringComparison.Ordinal)
                && handled.Contains((r.Mode, op[r.ClassPrefix.Length..])));
            if (!known) stale.Add($"class {name}");
        }
        Assert.True(stale.Count == 0, "tests of handlers that no registry has: " + string.Join(", ", stale));
    }

    [Fact]
    public void TheRegistriesAreReadWhole()
    {
        // The ops read here include every op of each mode's default list (the registries' Supported lists).
        Assert.Subset(HandledOps(typeof(OpQuantizers)).ToHashSet(), OpQuantizers.Supported.ToHashSet());
        Assert.Subset(HandledOps(typeof(DynamicOpQuantizers)).ToHashSet(), DynamicOpQuantizers.Supported.ToHashSet());
        Assert.Subset(HandledOps(typeof(WeightOnlyOpQuantizers)).ToHashSet(),
            WeightOnlyOpQuantizers.Supported.ToHashSet());
        Assert.Contains("Gather", HandledOps(typeof(DynamicOpQuantizers)));
        Assert.DoesNotContain("Gather", DynamicOpQuantizers.Supported);
    }
}
