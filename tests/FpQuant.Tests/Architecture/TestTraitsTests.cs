using System.Reflection;

namespace FpQuant.Tests.Architecture;

/// <summary>
/// The suite can be sliced with `dotnet test --filter Category=Quick|Heavy|Install`: every public class with tests
/// carries exactly one of those categories, and no test method adds another one, so each test lies in exactly one
/// slice and the three slices together are the whole suite. (Corpus may come on top: it marks the tests that read the
/// ONNX backend test corpus.)
/// </summary>
[Trait("Category", "Quick")]
public class TestTraitsTests
{
    public static readonly string[] Slices = ["Quick", "Heavy", "Install"];

    private static IEnumerable<string> Categories(MemberInfo m) =>
        m.GetCustomAttributesData()
            .Where(a => a.AttributeType == typeof(TraitAttribute)
                && a.ConstructorArguments.Count == 2 && (string?)a.ConstructorArguments[0].Value == "Category")
            .Select(a => (string)a.ConstructorArguments[1].Value!);

    private static bool IsTest(MethodInfo m) => m.GetCustomAttributes<FactAttribute>(inherit: true).Any();

    [Fact]
    public void EveryTestClass_IsInExactlyOneSlice()
    {
        var classes = typeof(TestTraitsTests).Assembly.GetTypes()
            .Where(t => t.IsClass && t.IsPublic && t.GetMethods().Any(IsTest))
            .ToList();
        Assert.True(classes.Count > 50, $"only {classes.Count} test classes found");
        var wrong = new List<string>();
        foreach (var t in classes)
        {
            var own = Categories(t).Where(Slices.Contains).Distinct().ToList();
            if (own.Count != 1)
            {
                wrong.Add($"{t.Name} ({(own.Count == 0 ? "none" : string.Join(" and ", own))})");
                continue;
            }
            foreach (var m in t.GetMethods().Where(IsTest))
                foreach (var c in Categories(m).Where(Slices.Contains).Where(c => c != own[0]))
                    wrong.Add($"{t.Name}.{m.Name} ({own[0]} class, {c} method)");
        }
        Assert.True(wrong.Count == 0,
            "each test class needs exactly one [Trait(\"Category\", ...)] of Quick, Heavy, Install: "
            + string.Join(", ", wrong));
    }
}
