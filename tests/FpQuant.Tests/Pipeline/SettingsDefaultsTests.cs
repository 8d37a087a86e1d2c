using FpQuant.Cli.Commands;
using FpQuant.Pipeline;

namespace FpQuant.Tests.Pipeline;

[Trait("Category", "Quick")]
public class SettingsDefaultsTests
{
    [Fact]
    public void RefineBatch_HasOneDefault_TheLibrarysAndBothVerbs()
    {
        // Isaac ROS's refine batch was written out in four places; a change to one left the others behind.
        Assert.Equal(42, FirstFrameSettings.IsaacRosRefineBatch);
        Assert.Equal(FirstFrameSettings.IsaacRosRefineBatch, new FirstFrameSettings().RefineBatch);
        Assert.Equal(FirstFrameSettings.IsaacRosRefineBatch, new RegistrationSettings().RefineBatch);
        foreach (var cmd in new[] { BenchCommand.Create(), RegisterCommand.Create() })
            Assert.Equal(FirstFrameSettings.IsaacRosRefineBatch,
                cmd.Parse(Array.Empty<string>()).GetValue<int>("--refine-batch"));
    }
}
