"""The file MLflow runs to build the pyfunc model ("models from code": no pickle involved)."""

import mlflow.models

from classifier.model.pyfunc import AtlasPyfunc

mlflow.models.set_model(AtlasPyfunc())
