print("mobench")
