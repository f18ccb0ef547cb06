"""contseg: training, evaluation and export of continual organ/tumour segmentation models, and the CT phantom."""
