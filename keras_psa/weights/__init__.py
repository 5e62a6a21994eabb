from keras_psa.weights.torch_state_dict import load_torch_state_dict

__all__ = ["load_torch_state_dict"]
