# Solutions to the exercises of 05-passkeys.ipynb. Each block replaces the exercise cell
# of the same number; CI runs the notebook with them and checks each passes.

# %% Exercise 1
# Exercise 1: flags
def flag_names(authenticator_data: bytes) -> set[str]:
    flags = authenticator_data[32]
    return {name for name, bit in FLAG_BITS.items() if flags & bit}


# %% Exercise 2
# Exercise 2: the counter rule
def counter_acceptable(stored: int, received: int) -> bool:
    if stored == 0 and received == 0:
        return True
    return received > stored
