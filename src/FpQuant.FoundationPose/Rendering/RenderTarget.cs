namespace FpQuant.Rendering;

/// <summary>
/// The visibility buffer of one render: per pixel the nearest depth (0 = nothing), the triangle there and its
/// perspective-correct barycentric weights of corners 1 and 2. Reused across renders to avoid allocation.
/// </summary>
internal sealed class RenderTarget
{
    public int Width { get; }
    public int Height { get; }
    public float[] Depth { get; }
    public int[] Triangle { get; }
    public float[] B1 { get; }
    public float[] B2 { get; }
    internal float[] ScreenX = Array.Empty<float>(), ScreenY = Array.Empty<float>(), InvZ = Array.Empty<float>();

    public RenderTarget(int width, int height)
    {
        Width = width; Height = height;
        int n = width * height;
        Depth = new float[n]; Triangle = new int[n]; B1 = new float[n]; B2 = new float[n];
    }

    internal void EnsureVertices(int n)
    {
        if (ScreenX.Length >= n) return;
        ScreenX = new float[n]; ScreenY = new float[n]; InvZ = new float[n];
    }
}
