namespace FpQuant.Networks;

/// <summary>NCHW with inputs A/B (PyTorch's own layout), or Isaac ROS's NHWC with inputs input1/input2.</summary>
public enum ModelLayout
{
    Nchw,
    Isaac,
}
