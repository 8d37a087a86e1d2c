namespace FpQuant.Networks;

/// <summary>NCHW with inputs A/B (PyTorch's own layout), or Isaac ROS's NHWC with inputs input1/input2.</summary>
public enum ModelLayout
{
    /// <summary>NCHW inputs named A and B, as PyTorch's modules take them.</summary>
    Nchw,
    /// <summary>NHWC inputs named input1 and input2, as Isaac ROS's ONNX files take them.</summary>
    Isaac,
}
