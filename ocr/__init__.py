"""Image and recognition stages. No web and no database code here: typed input, typed output."""
