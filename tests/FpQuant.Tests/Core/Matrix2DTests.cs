using FpQuant.Core;

namespace FpQuant.Tests.Core;

[Trait("Category", "Quick")]
public class Matrix2DTests
{
    [Fact]
    public void Transpose_SwapsRowsAndColumns()
    {
        var m = new FloatTensor(new[] { 2, 3 }, new[] { 1f, 2f, 3f, 4f, 5f, 6f });
        var t = Matrix2D.Transpose(m);
        Assert.Equal(new[] { 3, 2 }, t.Shape);
        Assert.Equal(new[] { 1f, 4f, 2f, 5f, 3f, 6f }, t.Data);
        Assert.Equal(m.Data, Matrix2D.Transpose(t.Data, 3, 2));
    }

    [Fact]
    public void Transpose_RefusesWhatIsNotAMatrix()
    {
        Assert.Throws<ArgumentException>(() => Matrix2D.Transpose(new FloatTensor(2, 2, 2)));
        Assert.Throws<ArgumentException>(() => Matrix2D.Transpose(new float[5], 2, 3));
    }
}
