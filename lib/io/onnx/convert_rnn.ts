// Recurrent layers: to do.
