"""One inference through LiteRT's `CompiledModel`, shared by the workers."""

import numpy as np


def run_compiled_model(model, inputs):
    """Runs signature 0 of a `CompiledModel` on `inputs` ({name: array}).

    Returns:
        ({output name: array}, [outputs `TensorBuffer` cannot read, e.g. int64]).
    """
    signature = model.get_signature_by_index(0)
    key = signature["key"]
    input_details = model.get_input_tensor_details(key)
    output_details = model.get_output_tensor_details(key)
    input_buffers = model.create_input_buffers(0)
    output_buffers = model.create_output_buffers(0)
    for name, buffer in zip(signature["inputs"], input_buffers):
        buffer.write(np.ascontiguousarray(inputs[name].astype(input_details[name]["dtype"])))
    model.run_by_index(0, input_buffers, output_buffers)
    outputs, unreadable = {}, []
    for name, buffer in zip(signature["outputs"], output_buffers):
        details = output_details[name]
        size = int(np.prod(details["shape"]))
        try:
            outputs[name] = buffer.read(size, details["dtype"]).reshape(details["shape"])
        except ValueError:
            unreadable.append(f"{name} ({details['dtype']})")
    return outputs, unreadable
